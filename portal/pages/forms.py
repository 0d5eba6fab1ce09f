from __future__ import annotations

from django import forms

from portal.models import Organization, Role


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(
        label="Organization name",
        max_length=120,
        help_text="Usually your company's name. You can change it later.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "organization"}),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not any(ch.isalnum() for ch in name):
            raise forms.ValidationError("Use at least one letter or digit.")
        return name


class OrganizationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "name",
            "default_expiry_days",
            "expiry_warning_days",
            "reminder_first_after_days",
            "reminder_every_days",
            "reminder_max",
            "retention_files_days",
            "retention_personal_days",
        ]
        labels = {
            "name": "Organization name",
            "default_expiry_days": "Envelopes expire after (days)",
            "expiry_warning_days": "Warn the sender before expiry (days)",
            "reminder_first_after_days": "First reminder after (days)",
            "reminder_every_days": "Then remind every (days)",
            "reminder_max": "At most this many reminders",
            "retention_files_days": "Delete documents after (days)",
            "retention_personal_days": "Erase personal data after (days)",
        }
        help_texts = {
            "retention_files_days": "Counted from when an envelope is completed, declined, voided or expired. "
            "Deletes the original and signed documents here and at the provider. Leave empty to keep them.",
            "retention_personal_days": "Counted the same way. Erases participants' names, e-mail addresses, phone "
            "and personal numbers, and the IP addresses recorded in the audit trail. Leave empty to keep them.",
        }

    def clean_default_expiry_days(self) -> int:
        days = self.cleaned_data["default_expiry_days"]
        if not 1 <= days <= 365:
            raise forms.ValidationError("Choose between 1 and 365 days.")
        return days

    def clean_reminder_every_days(self) -> int:
        days = self.cleaned_data["reminder_every_days"]
        if days < 1:
            raise forms.ValidationError("Reminders can repeat at most once a day.")
        return days

    def clean(self) -> dict:
        cleaned = super().clean()
        files_days = cleaned.get("retention_files_days")
        personal_days = cleaned.get("retention_personal_days")
        # The documents name who signed; erasing that elsewhere while they are still kept achieves nothing.
        if files_days is not None and personal_days is not None and personal_days < files_days:
            self.add_error(
                "retention_personal_days",
                f"Erase personal data no sooner than documents are deleted: choose {files_days} days or more.",
            )
        return cleaned


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail address", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.SENDER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class OrganizationDeleteForm(forms.Form):
    confirm_name = forms.CharField(label="Type the organization's name to confirm")

    def __init__(self, *args, org: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org

    def clean_confirm_name(self) -> str:
        value = self.cleaned_data["confirm_name"].strip()
        if value != self.org.name:
            raise forms.ValidationError(f"Type {self.org.name} exactly to delete it.")
        return value
