"""A person's calendar for reminders between sessions: where it comes from, and only
its busy blocks and days off.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "reminder_settings",
        sa.Column("use_calendar", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "calendar_feeds",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("address", sa.String(2048), nullable=True),
        sa.Column("etag", sa.String(200), nullable=True),
        sa.Column("last_modified", sa.String(100), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tried_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.String(200), nullable=True),
    )
    op.create_table(
        "calendar_blocks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_calendar_blocks_user", "calendar_blocks", ["user_id", "starts_at"])
    op.create_table(
        "calendar_days_off",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
    )


def downgrade():
    op.drop_table("calendar_days_off")
    op.drop_index("ix_calendar_blocks_user", table_name="calendar_blocks")
    op.drop_table("calendar_blocks")
    op.drop_table("calendar_feeds")
    with op.batch_alter_table("reminder_settings") as batch:
        batch.drop_column("use_calendar")
