"""Reminders: each person's plan, one row per reminder slot (unique, for exactly-once
delivery), and practices done.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('practices_done',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('practice', sa.String(length=40), nullable=False),
    sa.Column('delivery', sa.Integer(), nullable=True),
    sa.Column('seq', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('practices_done', schema=None) as batch_op:
        batch_op.create_index('ix_practices_done_user_seq', ['user_id', 'seq'], unique=False)

    op.create_table('reminder_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('slot_key', sa.String(length=80), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('practice', sa.String(length=40), nullable=True),
    sa.Column('slot_day', sa.Date(), nullable=False),
    sa.Column('slot_sequence', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('acted', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'slot_key', name='uq_reminder_slot')
    )
    op.create_table('reminder_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('workdays', sa.String(length=20), nullable=False),
    sa.Column('first_session', sa.Time(), nullable=True),
    sa.Column('session_minutes', sa.Integer(), nullable=False),
    sa.Column('gap_minutes', sa.Integer(), nullable=False),
    sa.Column('last_session_end', sa.Time(), nullable=True),
    sa.Column('times', sa.String(length=200), nullable=False),
    sa.Column('end_of_day', sa.Time(), nullable=True),
    sa.Column('practices', sa.String(length=400), nullable=False),
    sa.Column('quiet_start', sa.Time(), nullable=True),
    sa.Column('quiet_end', sa.Time(), nullable=True),
    sa.Column('daily_cap', sa.Integer(), nullable=True),
    sa.Column('paused_until', sa.Date(), nullable=True),
    sa.Column('skip_if_checked_in_minutes', sa.Integer(), nullable=True),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_slot_key', sa.String(length=80), nullable=True),
    sa.Column('sent_day', sa.Date(), nullable=True),
    sa.Column('sent_today', sa.Integer(), nullable=False),
    sa.Column('ignored_in_a_row', sa.Integer(), nullable=False),
    sa.Column('backoff_day', sa.Date(), nullable=True),
    sa.Column('backoff_told', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    with op.batch_alter_table('reminder_settings', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_settings_due', ['enabled', 'next_due_at'], unique=False)



def downgrade():
    with op.batch_alter_table('reminder_settings', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_settings_due')

    op.drop_table('reminder_settings')
    op.drop_table('reminder_deliveries')
    with op.batch_alter_table('practices_done', schema=None) as batch_op:
        batch_op.drop_index('ix_practices_done_user_seq')

    op.drop_table('practices_done')
