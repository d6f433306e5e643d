from tortoise import migrations
from tortoise.migrations import operations as ops
from models.partners import DeliveryStatus, DocumentKind, WebhookEventType
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_lifecycle')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PersistedDocument',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sha256', fields.CharField(max_length=64)),
                ('kind', fields.CharEnumField(description='APQ: APQ\nTRUSTED: TRUSTED', enum_type=DocumentKind, max_length=8)),
                ('client', fields.CharField(null=True, max_length=100)),
                ('manifest_id', fields.CharField(null=True, max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'persisted_document', 'app': 'models', 'unique_together': (('sha256', 'kind', 'client'),), 'indexes': [Index(fields=['kind', 'used_at']), Index(fields=['manifest_id'])], 'pk_attr': 'id', 'table_description': 'A GraphQL document known by the SHA-256 of its text.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2000)),
                ('description', fields.CharField(null=True, max_length=200)),
                ('events', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('secret', fields.CharField(max_length=100)),
                ('enabled', fields.BooleanField(default=True)),
                ('disabled_reason', fields.CharField(null=True, max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoint', 'app': 'models', 'indexes': [Index(fields=['organization_id', 'enabled'])], 'pk_attr': 'id', 'table_description': 'Where an organization wants to hear about its quotes, and which events.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_id', fields.CharField(unique=True, max_length=40)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='webhook_events', on_delete=OnDelete.CASCADE)),
                ('type', fields.CharEnumField(description='QUOTE_SUBMITTED: quote.submitted\nQUOTE_COUNTERED: quote.countered\nQUOTE_ACCEPTED: quote.accepted\nQUOTE_WITHDRAWN: quote.withdrawn\nQUOTE_REJECTED: quote.rejected\nQUOTE_CONVERTED: quote.converted\nQUOTE_CANCELED: quote.canceled\nQUOTE_EXPIRED: quote.expired\nMESSAGE_POSTED: message.posted\nPING: webhook.ping', enum_type=WebhookEventType, max_length=32)),
                ('quote_id', fields.IntField(null=True)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_event', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One event as sent to every endpoint that wants it: its JSON body never changes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('endpoint', fields.ForeignKeyField('models.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('models.WebhookEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('quote_id', fields.IntField(null=True)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: PENDING\nDELIVERED: DELIVERED\nFAILED: FAILED', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_status', fields.IntField(null=True)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('last_response', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'webhook_delivery', 'app': 'models', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['endpoint_id', 'quote_id', 'status'])], 'pk_attr': 'id', 'table_description': 'An event owed to one endpoint: the webhook outbox row, written with the change.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('models.WebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempt_rows', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status_code', fields.IntField(null=True)),
                ('error', fields.CharField(null=True, max_length=500)),
                ('response_excerpt', fields.CharField(null=True, max_length=500)),
                ('duration_ms', fields.IntField()),
            ],
            options={'table': 'webhook_attempt', 'app': 'models', 'indexes': [Index(fields=['delivery_id'])], 'pk_attr': 'id', 'table_description': 'One try of a delivery, for the delivery log.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='AccessToken',
            name='scopes',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
