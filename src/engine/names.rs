//! Default run names in MLflow's `adjective-noun-N` shape (at most 20 characters), from word
//! lists of our own.

const ADJECTIVES: &[&str] = &[
    "able", "agile", "amber", "ample", "arctic", "ardent", "astute", "azure", "bold", "brave",
    "breezy", "bright", "brisk", "calm", "candid", "casual", "cheery", "civic", "clever", "cosmic",
    "crisp", "curious", "daring", "dapper", "deft", "eager", "earnest", "easy", "elated", "exotic",
    "fabled", "fancy", "fearless", "festive", "fiery", "fluent", "fond", "frank", "gentle",
    "gifted", "glad", "golden", "grand", "hardy", "hasty", "hazy", "humble", "jolly", "jovial",
    "keen", "kind", "lively", "lofty", "loyal", "lucid", "lucky", "mellow", "merry", "mighty",
    "mild", "modest", "nimble", "noble", "polite", "proud", "quick", "quiet", "rapid", "rare",
    "regal", "robust", "rosy", "rustic", "serene", "sharp", "shiny", "silent", "sleek", "smooth",
    "snappy", "solid", "spry", "stable", "steady", "stellar", "sturdy", "sunny", "swift", "tidy",
    "tranquil", "valiant", "vivid", "warm", "wise", "witty", "zany", "zealous", "zesty",
];

const NOUNS: &[&str] = &[
    "ant", "ape", "asp", "auk", "bass", "bat", "bear", "bee", "bison", "boar", "bug", "calf",
    "carp", "cat", "cod", "colt", "crab", "crane", "crow", "cub", "deer", "doe", "dog", "dove",
    "duck", "eel", "elk", "emu", "finch", "fish", "flea", "fly", "fox", "frog", "gnat", "gnu",
    "goat", "goose", "grouse", "gull", "hare", "hawk", "hen", "heron", "horse", "hound", "ibis",
    "jay", "kite", "koala", "lamb", "lark", "lion", "loon", "lynx", "mole", "moose", "moth",
    "mouse", "mule", "newt", "owl", "ox", "panda", "perch", "pig", "pony", "pug", "quail", "ram",
    "rat", "raven", "robin", "seal", "shark", "sheep", "shrew", "skink", "sloth", "slug", "snail",
    "snake", "squid", "stork", "swan", "tern", "toad", "trout", "tuna", "vole", "wasp", "whale",
    "wolf", "worm", "wren", "yak", "zebra",
];

const MAX_NAME_LENGTH: usize = 20;

/// A random `adjective-noun-N` name with N in 0..=999.
pub fn random_run_name() -> String {
    loop {
        let bytes = *uuid::Uuid::new_v4().as_bytes();
        let pick =
            |i: usize, n: usize| usize::from(u16::from_le_bytes([bytes[i], bytes[i + 1]])) % n;
        let name = format!(
            "{}-{}-{}",
            ADJECTIVES[pick(0, ADJECTIVES.len())],
            NOUNS[pick(2, NOUNS.len())],
            pick(4, 1000)
        );
        if name.len() <= MAX_NAME_LENGTH {
            return name;
        }
    }
}

/// A new run id: 32 lowercase hex digits, as `uuid.uuid4().hex` gives.
pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_have_mlflows_shape() {
        for _ in 0..1000 {
            let name = random_run_name();
            let parts: Vec<&str> = name.split('-').collect();
            assert_eq!(parts.len(), 3, "{name}");
            assert!(
                ADJECTIVES.contains(&parts[0]) && NOUNS.contains(&parts[1]),
                "{name}"
            );
            assert!(parts[2].parse::<u16>().unwrap() < 1000);
            assert!(name.len() <= MAX_NAME_LENGTH);
        }
    }

    #[test]
    fn run_ids_are_uuid4_hex() {
        let id = new_run_id();
        assert_eq!(id.len(), 32);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }
}
