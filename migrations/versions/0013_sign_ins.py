"""Sign-ins the server knows: each device's session is a row, so signing out ends it
for good. They replace users.login_token, which stays (unused): dropping it would make
SQLite rebuild the users table, and its cascades would take every entry with it. Every
device signs in once more, as the old cookies named that token.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("device", sa.String(80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sign_ins_user", "sign_ins", ["user_id"])


def downgrade():
    op.drop_index("ix_sign_ins_user", table_name="sign_ins")
    op.drop_table("sign_ins")
