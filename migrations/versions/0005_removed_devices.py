"""Devices removed by their owner, so a page re-sending the subscription gets 410.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('removed_devices',
    sa.Column('endpoint_digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('endpoint_digest')
    )
    with op.batch_alter_table('removed_devices', schema=None) as batch_op:
        batch_op.create_index('ix_removed_devices_user', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('removed_devices', schema=None) as batch_op:
        batch_op.drop_index('ix_removed_devices_user')
    op.drop_table('removed_devices')
