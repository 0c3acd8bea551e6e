"""Shapes of credentials that are never anything else, shared by the rules that look for
secrets written into a template (E9204 user data, E9404 Lambda environment variables).

Only unmistakable shapes, never entropy guesses; RE2, so a hostile template cannot make the
match slow.
"""

from __future__ import annotations

import re2

#: an AWS access key id (long-term AKIA, temporary ASIA), not inside a longer token; group 1
ACCESS_KEY_ID = re2.compile(r"(?:^|[^A-Z0-9])((?:AKIA|ASIA)[A-Z0-9]{16})(?:[^A-Z0-9]|$)")
#: the header of a PEM private key (RSA, EC, OPENSSH, ENCRYPTED, or plain PKCS#8)
PRIVATE_KEY = re2.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
