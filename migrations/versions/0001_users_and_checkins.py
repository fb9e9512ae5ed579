"""Users and check-ins.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("login_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("login_token"),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("tank", sa.Integer(), nullable=False),
        sa.Column("work_share", sa.Integer(), nullable=True),
        sa.Column("safety_session", sa.Boolean(), nullable=False),
        sa.Column("lean_personal", sa.Integer(), nullable=True),
        sa.Column("lean_client", sa.Integer(), nullable=True),
        sa.Column("lean_community", sa.Integer(), nullable=True),
        sa.Column("practice", sa.String(length=40), nullable=True),
        sa.Column("note", sa.String(length=280), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_checkins_user_created", "checkins", ["user_id", "created_at"])


def downgrade():
    op.drop_index("ix_checkins_user_created", table_name="checkins")
    op.drop_table("checkins")
    op.drop_table("users")
