from django.db import migrations, models
from django.db.models import F


def confirm_verified_members(apps, schema_editor):
    """Members who joined before confirmation existed: those whose address Auth0 has verified count
    as confirmed. The others stay unconfirmed (their owner's team page says so); their seats stay."""
    TeamInvite = apps.get_model("teams", "TeamInvite")
    TeamInvite.objects.filter(status="accepted", accepted_by__email_verified=True).update(confirmed_at=F("accepted_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_user_email_verified'),
        ('teams', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='teaminvite',
            name='confirmed_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(confirm_verified_members, migrations.RunPython.noop),
    ]
