"""`seatwise user` and `seatwise token`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlmodel import Session

from app.auth import service
from app.auth.admin import end_sessions
from app.auth.models import User
from app.auth.schemas import UserRead
from app.core.cli_runtime import db_session, print_json
from app.core.errors import InvalidInputError, NotFoundError
from app.core.security import Role

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin's first line.")
]


def register(app: typer.Typer) -> None:
    """Add the `user` and `token` groups."""
    users = typer.Typer(help="Users who log in to Seatwise.", no_args_is_help=True)
    app.add_typer(users, name="user")
    tokens = typer.Typer(help="API tokens.", no_args_is_help=True)
    app.add_typer(tokens, name="token")

    @users.command("create")
    def create(
        email: Annotated[str, typer.Option(help="Login e-mail.")],
        role: Annotated[Role, typer.Option(help="Role.", case_sensitive=False)],
        password_stdin: PasswordStdin = False,
    ) -> None:
        """Create a user."""
        password = _read_password(password_stdin)
        with db_session() as session:
            user = service.create_user(
                session=session, email=email, role=role.value, password=password
            )
            typer.echo(f"created {user.email} ({user.role})")

    @users.command("list")
    def list_(json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
        """List users."""
        with db_session() as session:
            rows = [
                UserRead.model_validate(u, from_attributes=True)
                for u in service.list_users(session=session)
            ]
        if json_:
            print_json([r.model_dump(mode="json") for r in rows])
            return
        for r in rows:
            typer.echo(f"{r.email:40} {r.role:14} {'active' if r.is_active else 'disabled'}")

    @users.command("set-password")
    def set_password(
        email: Annotated[str, typer.Argument(help="The user's login e-mail.")],
        password_stdin: PasswordStdin = False,
    ) -> None:
        """Give a user a new password (a forgotten one); their open logins end."""
        password = _read_password(password_stdin)
        with db_session() as session:
            user = _user(session, email)
            service.set_password(session=session, user=user, password=password, actor="cli")
        typer.echo(f"new password set for {user.email}; their logins ended")

    @users.command("logout")
    def logout(email: Annotated[str, typer.Argument(help="The user's login e-mail.")]) -> None:
        """Log a user out of every browser (a lost laptop, a shared computer)."""
        with db_session() as session:
            user = _user(session, email)
            assert user.id is not None
            ended = end_sessions(session=session, user_id=user.id, actor="cli")
        typer.echo(f"ended {ended} login{'' if ended == 1 else 's'} of {user.email}")

    @tokens.command("create")
    def token_create(
        email: Annotated[str, typer.Option(help="The user the token acts as.")],
        name: Annotated[str, typer.Option(help="What the token is for.")],
    ) -> None:
        """Create an API token and print it once."""
        with db_session() as session:
            token = service.create_token(session=session, email=email, name=name)
        typer.echo(token)


def _read_password(from_stdin: bool) -> str:
    """A password from stdin's first line, or asked twice without echo."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise InvalidInputError("empty password given")
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are no UTF-8 arrive as lone surrogates
        raise InvalidInputError("the password is not UTF-8 text") from None
    return password


def _user(session: Session, email: str) -> User:
    user = service.get_user_by_email(session=session, email=email)
    if user is None:
        raise NotFoundError(f"no user with e-mail {service.normalise_email(email)}")
    return user
