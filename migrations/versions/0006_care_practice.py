"""The care practice: practices, reflections, reframe marks, supervision notes, breaks, care settings.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22

"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('breaks',
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=280), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('breaks', schema=None) as batch_op:
        batch_op.create_index('ix_breaks_user_seq', ['user_id', 'seq'], unique=False)

    op.create_table('care_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('supervision_on', sa.Date(), nullable=True),
    sa.Column('supervision_reminder', sa.Boolean(), nullable=False),
    sa.Column('support_region', sa.String(length=8), nullable=True),
    sa.Column('support_lines', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('practices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('micro', sa.Boolean(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'key', name='uq_practice_key')
    )
    op.create_table('reflections',
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('next_step', sa.String(length=280), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.create_index('ix_reflections_user_seq', ['user_id', 'seq'], unique=False)

    op.create_table('reframe_marks',
    sa.Column('card', sa.String(length=40), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reframe_marks', schema=None) as batch_op:
        batch_op.create_index('ix_reframe_marks_user_seq', ['user_id', 'seq'], unique=False)

    op.create_table('supervision_notes',
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('about_kind', sa.String(length=20), nullable=True),
    sa.Column('about_id', sa.String(length=36), nullable=True),
    sa.Column('discussed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('supervision_notes', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_notes_user_seq', ['user_id', 'seq'], unique=False)



def downgrade():
    with op.batch_alter_table('supervision_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_supervision_notes_user_seq')

    op.drop_table('supervision_notes')
    with op.batch_alter_table('reframe_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_reframe_marks_user_seq')

    op.drop_table('reframe_marks')
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.drop_index('ix_reflections_user_seq')

    op.drop_table('reflections')
    op.drop_table('practices')
    op.drop_table('care_settings')
    with op.batch_alter_table('breaks', schema=None) as batch_op:
        batch_op.drop_index('ix_breaks_user_seq')

    op.drop_table('breaks')
