"""Identity verification for web chat: the site's backend signs the user id with HMAC."""

from __future__ import annotations

import hashlib
import hmac


def sign_user_id(user_id: str, secret: str) -> str:
    """What the site's backend computes: hex HMAC-SHA256 of the user id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_user_hash(user_id: str, user_hash: str, secret: str) -> bool:
    given = user_hash.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(sign_user_id(user_id, secret).encode(), given)


def hash_token(token: str) -> str:
    """Session tokens are stored hashed: a leaked database does not leak live sessions."""
    return hashlib.sha256(token.encode()).hexdigest()
