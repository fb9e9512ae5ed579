"""A change cursor: each user's changes are numbered, so a device can ask for the rest.

Existing check-ins are numbered per user in the order they were last changed, and
each user's counter starts after their last one, so a device syncing for the first
time (cursor 0) receives every entry.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "users", sa.Column("change_seq", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("checkins", sa.Column("seq", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        """
        UPDATE checkins SET seq = numbered.seq
        FROM (
            SELECT id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY updated_at, id) AS seq
            FROM checkins
        ) AS numbered
        WHERE numbered.id = checkins.id
        """
    )
    op.execute(
        """
        UPDATE users SET change_seq = (
            SELECT COUNT(*) FROM checkins WHERE checkins.user_id = users.id
        )
        """
    )
    op.create_index("ix_checkins_user_seq", "checkins", ["user_id", "seq"])


def downgrade():
    op.drop_index("ix_checkins_user_seq", table_name="checkins")
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("seq")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("change_seq")
