from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.audit import AuditAction
from models.organization import TokenPurpose


class Migration(migrations.Migration):
    dependencies = [('models', '0007_signatures')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.CASCADE)),
                ('actor', fields.ForeignKeyField('models.StaffMember', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('actor_name', fields.CharField(max_length=200)),
                ('action', fields.CharEnumField(description='STAFF_INVITED: STAFF_INVITED\nSTAFF_ROLE_CHANGED: STAFF_ROLE_CHANGED\nSTAFF_DEACTIVATED: STAFF_DEACTIVATED\nSTAFF_SIGNED_IN: STAFF_SIGNED_IN\nACCESS_TOKEN_CREATED: ACCESS_TOKEN_CREATED\nACCESS_TOKEN_REVOKED: ACCESS_TOKEN_REVOKED\nQUOTE_LINK_ROTATED: QUOTE_LINK_ROTATED\nQUOTE_LINK_REVOKED: QUOTE_LINK_REVOKED\nSETTINGS_CHANGED: SETTINGS_CHANGED\nBRANDING_CHANGED: BRANDING_CHANGED', enum_type=AuditAction, max_length=32)),
                ('target_type', fields.CharField(max_length=32)),
                ('target_id', fields.IntField(null=True)),
                ('target_label', fields.CharField(null=True, max_length=300)),
                ('before', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('client_hash', fields.CharField(null=True, max_length=32)),
                ('user_agent', fields.CharField(null=True, max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'id']), Index(fields=['organization_id', 'action', 'id']), Index(fields=['actor_id'])], 'pk_attr': 'id', 'table_description': 'One administrative action. The client address is kept only as a keyed hash.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RetiredLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('quote', fields.ForeignKeyField('models.Quote', source_field='quote_id', db_constraint=True, to_field='id', related_name='retired_links', on_delete=OnDelete.CASCADE)),
                ('link_salt', fields.CharField(max_length=32)),
                ('retired_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'retired_link', 'app': 'models', 'indexes': [Index(fields=['quote_id', 'link_salt'])], 'pk_attr': 'id', 'table_description': "The link generation (salt) a quote's link had before it was rotated or revoked."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignInCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization_slug', fields.CharField(max_length=64)),
                ('email', fields.CharField(max_length=254)),
                ('staff', fields.ForeignKeyField('models.StaffMember', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='sign_in_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(max_length=64)),
                ('purpose', fields.CharField(max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sign_in_code', 'app': 'models', 'indexes': [Index(fields=['organization_slug', 'email', 'created_at']), Index(fields=['staff_id'])], 'pk_attr': 'id', 'table_description': 'A one-time code emailed for a staff sign-in or an invitation, stored as a keyed hash.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AccessToken',
            name='hint',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='AccessToken',
            name='last_used_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='AccessToken',
            name='purpose',
            field=fields.CharEnumField(null=True, description='SESSION: SESSION\nPERSONAL: PERSONAL', enum_type=TokenPurpose, max_length=16),
        ),
        ops.AddIndex(
            model_name='AccessToken',
            index=Index(fields=['staff_id', 'purpose']),
        ),
        ops.AddField(
            model_name='Organization',
            name='auto_convert',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Organization',
            name='finance_gate',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Organization',
            name='link_lifetime_days',
            field=fields.IntField(default=365, db_default=365),
        ),
        ops.AddField(
            model_name='Organization',
            name='payout_methods',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='StaffMember',
            name='deactivated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='StaffMember',
            name='invitation_pending',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='StaffMember',
            name='last_active_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
