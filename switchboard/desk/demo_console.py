"""Demo mode shows everything: the console is on with a local demo account, whose
credentials are printed at start (a new password each start; only its hash is stored).

Never in production: demo mode also signs 'chat as Maria' with a local-only secret.
"""

from __future__ import annotations

import secrets
import sys

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import transaction
from storage.models import StaffRole
from storage.staff_accounts import add_staff, find_staff, set_password

DEMO_EMAIL = "demo@switchboard.local"
DEMO_NAME = "Demo Agent"


async def open_demo_console(
    sessions: async_sessionmaker[AsyncSession], public_url: str
) -> tuple[str, str]:
    """Make sure the demo account exists with a fresh password; print how to sign in."""
    password = secrets.token_urlsafe(9)
    async with transaction(sessions) as session:
        account = await find_staff(session, DEMO_EMAIL)
        if account is None:
            await add_staff(
                session, email=DEMO_EMAIL, name=DEMO_NAME, role=StaffRole.admin, password=password
            )
        else:
            await set_password(session, account, password)
    console = public_url.rstrip("/") + "/admin/inbox"
    print(
        f"\n  Staff console: {console}\n"
        f"  Sign in as {DEMO_EMAIL} with password {password}  (demo mode; new each start)\n",
        file=sys.stderr,
        flush=True,
    )
    return DEMO_EMAIL, password
