"""Passwords: argon2id hashes (argon2-cffi), the policy a new one meets, one-time ones.

The hash is what the account's log keeps (shown "[redacted]" in the audit trail); the
password itself is never stored or logged.
"""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.backbone.kernel.errors import BadRequest

MIN_LENGTH = 10
# argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane): under 100 ms here. The
# library's default (64 MiB, 4 lanes) took 400 ms on two shared cores, during which the
# console's one process answers nobody (the hash does not yield to other green threads).
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, *, username: str, field: str = "new_password") -> None:
    """A password a person chooses: long enough, not their login name, not one kind of
    character only; 400 naming ``field`` otherwise."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"至少 {MIN_LENGTH} 个字符。")
    if password.strip().lower() == username.strip().lower():
        problems.append("不能与用户名相同。")
    if password.isdigit() or password.isalpha():
        problems.append("须同时包含字母和数字（或其他字符）。")
    if problems:
        raise BadRequest("请检查标出的栏目。", fields={field: problems})


def one_time_password() -> str:
    """A password to hand to a person once, to be changed at their first sign-in."""
    return secrets.token_urlsafe(12)
