"""Protobuf-free stand-in for ``mlflow.protos.databricks_pb2``.

It carries MLflow's ``ErrorCode`` enum only: one module-level int per code (same names and numbers
as MLflow's enum) and an ``ErrorCode`` object with protobuf's ``Name``/``Value`` lookups, so that
``ErrorCode.Name(RESOURCE_DOES_NOT_EXIST)`` works without protobuf installed.
"""

from __future__ import annotations

import operator

INTERNAL_ERROR = 1
TEMPORARILY_UNAVAILABLE = 2
IO_ERROR = 3
BAD_REQUEST = 4
SERVICE_UNDER_MAINTENANCE = 5
WORKSPACE_TEMPORARILY_UNAVAILABLE = 6
DEADLINE_EXCEEDED = 7
CANCELLED = 8
RESOURCE_EXHAUSTED = 9
ABORTED = 10
NOT_FOUND = 11
ALREADY_EXISTS = 12
UNAUTHENTICATED = 13
INVALID_PARAMETER_VALUE = 1000
ENDPOINT_NOT_FOUND = 1001
MALFORMED_REQUEST = 1002
INVALID_STATE = 1003
PERMISSION_DENIED = 1004
FEATURE_DISABLED = 1005
CUSTOMER_UNAUTHORIZED = 1006
REQUEST_LIMIT_EXCEEDED = 1007
RESOURCE_CONFLICT = 1008
UNPARSEABLE_HTTP_ERROR = 1009
NOT_IMPLEMENTED = 1010
DATA_LOSS = 1011
INVALID_STATE_TRANSITION = 2001
COULD_NOT_ACQUIRE_LOCK = 2002
RESOURCE_ALREADY_EXISTS = 3001
RESOURCE_DOES_NOT_EXIST = 3002
QUOTA_EXCEEDED = 4001
MAX_BLOCK_SIZE_EXCEEDED = 4002
MAX_READ_SIZE_EXCEEDED = 4003
PARTIAL_DELETE = 4004
MAX_LIST_SIZE_EXCEEDED = 4005
DRY_RUN_FAILED = 5001
RESOURCE_LIMIT_EXCEEDED = 5002
DIRECTORY_NOT_EMPTY = 6001
DIRECTORY_PROTECTED = 6002
MAX_NOTEBOOK_SIZE_EXCEEDED = 6003
MAX_CHILD_NODE_SIZE_EXCEEDED = 6004
SEARCH_QUERY_TOO_LONG = 6100
SEARCH_QUERY_TOO_SHORT = 6101
MANAGED_RESOURCE_GROUP_DOES_NOT_EXIST = 7001
PERMISSION_NOT_PROPAGATED = 7002
DEPLOYMENT_TIMEOUT = 7003
GIT_CONFLICT = 8001
GIT_UNKNOWN_REF = 8002
GIT_SENSITIVE_TOKEN_DETECTED = 8003
GIT_URL_NOT_ON_ALLOW_LIST = 8004
GIT_REMOTE_ERROR = 8005
PROJECTS_OPERATION_TIMEOUT = 8006
IPYNB_FILE_IN_REPO = 8007
INSECURE_PARTNER_RESPONSE = 8100
MALFORMED_PARTNER_RESPONSE = 8101
METASTORE_DOES_NOT_EXIST = 9000
DAC_DOES_NOT_EXIST = 9001
CATALOG_DOES_NOT_EXIST = 9002
SCHEMA_DOES_NOT_EXIST = 9003
TABLE_DOES_NOT_EXIST = 9004
SHARE_DOES_NOT_EXIST = 9005
RECIPIENT_DOES_NOT_EXIST = 9006
STORAGE_CREDENTIAL_DOES_NOT_EXIST = 9007
EXTERNAL_LOCATION_DOES_NOT_EXIST = 9008
PRINCIPAL_DOES_NOT_EXIST = 9009
PROVIDER_DOES_NOT_EXIST = 9010
METASTORE_ALREADY_EXISTS = 9020
DAC_ALREADY_EXISTS = 9021
CATALOG_ALREADY_EXISTS = 9022
SCHEMA_ALREADY_EXISTS = 9023
TABLE_ALREADY_EXISTS = 9024
SHARE_ALREADY_EXISTS = 9025
RECIPIENT_ALREADY_EXISTS = 9026
STORAGE_CREDENTIAL_ALREADY_EXISTS = 9027
EXTERNAL_LOCATION_ALREADY_EXISTS = 9028
PROVIDER_ALREADY_EXISTS = 9029
CATALOG_NOT_EMPTY = 9040
SCHEMA_NOT_EMPTY = 9041
METASTORE_NOT_EMPTY = 9042
PROVIDER_SHARE_NOT_ACCESSIBLE = 9060


class _EnumTypeWrapper:
    """Name <-> number lookups over one enum, shaped like protobuf's ``EnumTypeWrapper``."""

    __slots__ = ("_by_name", "_by_number", "_enum_name")

    def __init__(self, enum_name: str, members: dict[str, int]) -> None:
        self._enum_name = enum_name
        self._by_name = dict(members)
        self._by_number = {number: name for name, number in members.items()}

    def Name(self, number: int) -> str:
        """Return the name of the member numbered ``number``."""
        try:
            index = operator.index(number)
        except TypeError:
            raise TypeError(
                f"Enum value for {self._enum_name} must be an int, "
                f"but got {type(number)} {number!r}."
            ) from None
        try:
            return self._by_number[index]
        except KeyError:
            raise ValueError(
                f"Enum {self._enum_name} has no name defined for value {number!r}"
            ) from None

    def Value(self, name: str) -> int:
        """Return the number of the member called ``name``."""
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise ValueError(
                f"Enum {self._enum_name} has no value defined for name {name!r}"
            ) from None

    def keys(self) -> list[str]:
        """Member names, in declaration order."""
        return list(self._by_name)

    def values(self) -> list[int]:
        """Member numbers, in declaration order."""
        return list(self._by_name.values())

    def items(self) -> list[tuple[str, int]]:
        """``(name, number)`` pairs, in declaration order."""
        return list(self._by_name.items())

    def __getattr__(self, name: str) -> int:
        if not name.startswith("_") and name in self._by_name:
            return self._by_name[name]
        raise AttributeError(name)


# Every upper-case module global defined above is an error code.
ErrorCode = _EnumTypeWrapper(
    "ErrorCode", {name: value for name, value in globals().items() if name.isupper()}
)
