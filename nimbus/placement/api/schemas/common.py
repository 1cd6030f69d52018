"""Name patterns placement validates against."""

UUID_PATTERN = "^[0-9a-fA-F-]{36}$"
RC_PATTERN = "^[A-Z0-9_]+$"
CUSTOM_PATTERN = "^CUSTOM_[A-Z0-9_]+$"
CONSUMER_TYPE_PATTERN = RC_PATTERN
CONSUMER_TYPE_GET_PATTERN = f"{CONSUMER_TYPE_PATTERN}|^all|^unknown$"
GROUP_PATTERN = "[1-9][0-9]*"
GROUP_PATTERN_1_33 = "[a-zA-Z0-9_-]{1,64}"
