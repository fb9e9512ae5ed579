"""When a push last reached each device, so Tend can tell a person whose reminders have
stopped reaching them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "push_subscriptions",
        sa.Column("last_delivered_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade():
    with op.batch_alter_table("push_subscriptions") as batch:
        batch.drop_column("last_delivered_at")
