"""Forms for the envelope pages. Choices a provider cannot honour are left out."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils import timezone

from envelopes.models import (
    MESSAGE_MAX_LENGTH,
    AuthMethod,
    Delivery,
    Envelope,
    Language,
    Participant,
    ParticipantRole,
    Template,
)
from envelopes.outgoing.sending import DELIVERY_NEEDS, ROLE_NEEDS
from providers.base import Capability
from providers.registry import provider_class, provider_exists
from providers.selectors import send_option_parse, send_option_value, send_options


class SendWithMixin:
    """The "Send with" choice: a provider that needs no account, or one of the organization's
    connections. Cleans into `provider` (registry id) and `connection`."""

    def send_with_setup(self, *, empty_label: str) -> None:
        choices = send_options(self.instance.org)
        self.fields["provider"] = forms.ChoiceField(
            label="Send with",
            choices=[("", empty_label), *choices],
            required=False,
            help_text="" if choices else "No provider is connected yet; you can still prepare the envelope.",
        )
        if self.instance.provider:
            self.initial["provider"] = send_option_value(self.instance.provider, self.instance.connection)

    def clean_provider(self):
        try:
            provider_id, connection = send_option_parse(self.instance.org, self.cleaned_data["provider"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from None
        self.cleaned_data["connection"] = connection
        return provider_id


class EnvelopeSettingsForm(SendWithMixin, forms.ModelForm):
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Signing is no longer possible after this day.",
    )

    class Meta:
        model = Envelope
        fields = [
            "title",
            "provider",
            "message",
            "language",
            "reminder_first_after_days",
            "reminder_every_days",
            "reminder_max",
        ]
        labels = {
            "provider": "Send with",
            "message": "Message to participants",
            "reminder_first_after_days": "First reminder after (days)",
            "reminder_every_days": "Then every (days)",
            "reminder_max": "At most (reminders)",
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.send_with_setup(empty_label="Choose a provider…")
        self.fields["message"].help_text = f"Up to {MESSAGE_MAX_LENGTH} characters, shown in the invitation."
        if self.instance.expires_at:
            self.initial["expires_on"] = timezone.localtime(self.instance.expires_at).date()

    def settings(self) -> dict:
        """Cleaned values in the shape `envelope_update` takes."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["connection"] = self.cleaned_data.get("connection")
        day = self.cleaned_data.get("expires_on")
        if day:
            data["expires_at"] = timezone.make_aware(datetime.combine(day, time(23, 59)))
        return data


def _allowed(provider_id: str):
    """A predicate: does the envelope's provider (if chosen) support a capability?"""
    if not provider_exists(provider_id):
        return lambda capability: True
    provider = provider_class(provider_id)
    return provider.supports


def limit_to_provider(form: forms.BaseForm, provider_id: str) -> None:
    """Offers in `form`'s role, delivery and authentication fields only what the provider
    supports (everything while no provider is chosen): compose and template roles alike."""
    supports = _allowed(provider_id)
    form.fields["role"].choices = [
        (value, label)
        for value, label in ParticipantRole.choices
        if value not in ROLE_NEEDS or supports(ROLE_NEEDS[value])
    ]
    form.fields["delivery"].choices = [
        (value, label)
        for value, label in Delivery.choices
        if value not in DELIVERY_NEEDS or supports(DELIVERY_NEEDS[value])
    ]
    auth = [
        (value, label)
        for value, label in AuthMethod.choices
        if value == AuthMethod.NONE or supports(Capability.auth(value))
    ]
    form.fields["auth_view"].choices = auth
    form.fields["auth_sign"].choices = auth


class ParticipantForm(forms.ModelForm):
    class Meta:
        model = Participant
        fields = ["name", "email", "phone", "role", "order", "delivery", "auth_view", "auth_sign"]
        labels = {
            "auth_view": "To open the documents",
            "auth_sign": "To sign",
            "order": "Signing order",
            "email": "E-mail",
            "phone": "Mobile phone",
        }
        widgets = {"order": forms.NumberInput(attrs={"min": 1, "max": 50})}

    def __init__(self, *args, provider_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        limit_to_provider(self, provider_id)
        self.fields["phone"].help_text = "With country code, e.g. +46 70 123 45 67."
        self.fields["email"].required = False
        self.fields["order"].required = False


class PlacementForm(forms.Form):
    """Where a signer signs: a spot on a page of a document, or an appended signature page."""

    NEW_PAGE = ""
    document = forms.ChoiceField(label="Signature placement", required=False)
    page = forms.IntegerField(label="Page", min_value=1, required=False)
    x = forms.FloatField(label="From left (pt)", min_value=0, required=False)
    y = forms.FloatField(label="From bottom (pt)", min_value=0, required=False)

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = {str(d.pk): d for d in documents}
        self.fields["document"].choices = [
            (self.NEW_PAGE, "On a new signature page at the end"),
            *[(str(d.pk), d.name) for d in documents],
        ]

    def clean(self):
        data = super().clean()
        document = self.documents.get(data.get("document") or "")
        if document is None:
            return data
        if not data.get("page"):
            self.add_error("page", "Choose the page to sign on.")
        elif data["page"] > document.page_count:
            self.add_error("page", f"{document.name} has {document.page_count} page(s).")
        for axis in ("x", "y"):
            if data.get(axis) is None:
                self.add_error(axis, "Enter a position, or pick the spot on the page preview.")
        return data


class VoidForm(forms.Form):
    reason = forms.CharField(label="Reason for voiding", max_length=500)

    def __init__(self, *args, provider_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # Who tells the participants, and what, is the provider's doing: its own sentence says it.
        if provider_exists(provider_id):
            self.fields["reason"].help_text = provider_class(provider_id).void_notice


class TemplateNameForm(forms.Form):
    name = forms.CharField(label="Template name", max_length=200)


class TemplateForm(SendWithMixin, forms.ModelForm):
    class Meta:
        model = Template
        fields = [
            "name",
            "title",
            "message",
            "language",
            "expiry_days",
            "provider",
            "reminder_first_after_days",
            "reminder_every_days",
            "reminder_max",
        ]
        labels = {
            "title": "Envelope title",
            "expiry_days": "Envelopes expire after (days)",
            "provider": "Send with",
            "reminder_first_after_days": "First reminder after (days)",
            "reminder_every_days": "Then every (days)",
            "reminder_max": "At most (reminders)",
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.send_with_setup(empty_label="Choose when sending")
        for name in ("expiry_days", "reminder_every_days"):
            self.fields[name].min_value = 1
            self.fields[name].widget.attrs["min"] = 1
            self.fields[name].validators.append(MinValueValidator(1))
        self.fields["language"].choices = Language.choices


class TemplateRoleForm(forms.Form):
    label = forms.CharField(label="Role name", max_length=100, help_text='For example "Customer".')
    role = forms.ChoiceField(label="Does", choices=ParticipantRole.choices)
    order = forms.IntegerField(label="Signing order", min_value=1, initial=1)
    delivery = forms.ChoiceField(label="Delivery", choices=Delivery.choices)
    auth_view = forms.ChoiceField(label="To open the documents", choices=AuthMethod.choices, initial="none")
    auth_sign = forms.ChoiceField(label="To sign", choices=AuthMethod.choices, initial="none")

    def __init__(self, *args, provider_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        limit_to_provider(self, provider_id)


class TemplateRoleNameForm(forms.Form):
    label = forms.CharField(label="Role name", max_length=100)
