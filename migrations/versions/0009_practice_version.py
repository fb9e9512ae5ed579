"""A count of changes to each person's practice list, so what is drawn from it can be
kept until it changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "users", sa.Column("practice_version", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("practice_version")
