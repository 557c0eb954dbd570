// Client-side routes; every page is a URL the server answers with index.html.
//   /                      experiments        /experiments/1,2?v=…   runs table and charts
//   /runs/<id>             run page           /models, /models/<name>
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { get } from "./api";
import { clear, errorBox, h, setNavigate } from "./dom";
import { experimentPage } from "./experiment";
import { experimentsPage, modelPage, modelsPage, runPage } from "./pages";

const app = document.getElementById("app")!;
let dispose: () => void = () => {};

function route(): void {
  dispose();
  clear(app);
  document.title = "mlrs";
  const path = decodeURI(location.pathname).replace(/\/+$/, "") || "/";
  const params = new URLSearchParams(location.search);
  const seg = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const page = h("div", { class: "page" });
  app.append(page);
  if (path === "/") dispose = experimentsPage(page, params);
  else if (seg[0] === "experiments" && seg[1]) dispose = experimentPage(page, seg[1], params);
  else if (seg[0] === "runs" && seg[1]) dispose = runPage(page, seg[1], params);
  else if (seg[0] === "models" && seg[1]) dispose = modelPage(page, seg.slice(1).join("/"));
  else if (seg[0] === "models") dispose = modelsPage(page, params);
  else {
    page.append(h("h1", {}, "Not found"), h("p", {}, "No page at ", h("code", {}, path), "."));
    dispose = () => {};
  }
}

function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  route();
  window.scrollTo(0, 0);
}
setNavigate(navigate);

document.addEventListener("click", (e) => {
  const a = (e.target as HTMLElement).closest("a[data-nav]") as HTMLAnchorElement | null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.origin !== location.origin) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});
window.addEventListener("popstate", route);

get<{ store: string; version: string; backend?: string }>("/api/health")
  .then((r) => {
    const store = document.getElementById("store")!;
    store.textContent = `${r.store} · mlrs ${r.version}`;
    if (r.backend === "server") {
      // A tracking server: what the API cannot give there is said once, up front.
      store.title = "A tracking server: metric min/max/first, artifacts and registered models are not shown.";
      store.dataset.backend = "server";
    }
  })
  .catch((e) => {
    // A file that is not MLflow's schema: every call says so; show it above any page.
    document.getElementById("top")!.after(errorBox(e));
  });
route();
