"""The peer circle: circles, their members and one-time invitations, blocks, care
nudges, debrief requests and their answers, and how circle messages reach a person.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _user(name="user_id", ondelete="CASCADE", **options):
    return sa.Column(name, sa.Integer(), sa.ForeignKey("users.id", ondelete=ondelete), **options)


def _when(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "circles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        _user("created_by", "SET NULL", nullable=True),
        _when("created_at"),
    )
    op.create_table(
        "circle_members",
        sa.Column("circle_id", sa.Integer(), sa.ForeignKey("circles.id", ondelete="CASCADE"),
                  primary_key=True),
        _user(primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        _when("joined_at"),
    )
    op.create_index("ix_circle_members_user", "circle_members", ["user_id"])
    op.create_table(
        "circle_invitations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("circle_id", sa.Integer(), sa.ForeignKey("circles.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        _user("created_by", nullable=False),
        _when("created_at"),
        _when("expires_at"),
        _when("used_at", nullable=True),
        _when("revoked_at", nullable=True),
    )
    op.create_index("ix_circle_invitations_circle", "circle_invitations", ["circle_id"])
    op.create_table(
        "circle_blocks",
        _user(primary_key=True),
        _user("blocked_id", primary_key=True),
        _when("created_at"),
    )
    op.create_table(
        "care_nudges",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("circle_id", sa.Integer(), sa.ForeignKey("circles.id", ondelete="CASCADE"),
                  nullable=False),
        _user("sender_id", nullable=False),
        _user("recipient_id", nullable=False),
        sa.Column("message", sa.String(20), nullable=False),
        _when("created_at"),
        sa.Column("status", sa.String(10), nullable=False),
        _when("seen_at", nullable=True),
    )
    op.create_index("ix_care_nudges_recipient", "care_nudges", ["recipient_id", "created_at"])
    op.create_index("ix_care_nudges_sender", "care_nudges", ["sender_id", "created_at"])
    op.create_table(
        "debrief_requests",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("circle_id", sa.Integer(), sa.ForeignKey("circles.id", ondelete="CASCADE"),
                  nullable=False),
        _user("asker_id", nullable=False),
        _when("created_at"),
        _when("closed_at", nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
    )
    op.create_index("ix_debrief_requests_circle", "debrief_requests",
                    ["circle_id", "created_at"])
    op.create_table(
        "debrief_answers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(36),
                  sa.ForeignKey("debrief_requests.id", ondelete="CASCADE"), nullable=False),
        _user(nullable=False),
        sa.Column("talk_at", sa.Time(), nullable=True),
        _when("created_at"),
        sa.Column("status", sa.String(10), nullable=False),
        sa.UniqueConstraint("request_id", "user_id", name="uq_debrief_answer"),
    )
    op.create_table(
        "circle_settings",
        _user(primary_key=True),
        sa.Column("nudges", sa.String(10), nullable=False),
    )


def downgrade():
    op.drop_table("circle_settings")
    op.drop_table("debrief_answers")
    op.drop_index("ix_debrief_requests_circle", table_name="debrief_requests")
    op.drop_table("debrief_requests")
    op.drop_index("ix_care_nudges_sender", table_name="care_nudges")
    op.drop_index("ix_care_nudges_recipient", table_name="care_nudges")
    op.drop_table("care_nudges")
    op.drop_table("circle_blocks")
    op.drop_index("ix_circle_invitations_circle", table_name="circle_invitations")
    op.drop_table("circle_invitations")
    op.drop_index("ix_circle_members_user", table_name="circle_members")
    op.drop_table("circle_members")
    op.drop_table("circles")
