"""Forms for recording and changing a child. The rules themselves live in services.child_identity_validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from evolve.people.models import ChildAlias, ChildIdentifier, Ethnicity, Gender, LookedAfterStatus
from evolve.people.services import ChildDetails, NewAddress, child_identity_validate
from evolve.ui.forms import DateField


class ChildIdentityForm(forms.Form):
    first_name = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "Enter the child's first name"}
    )
    middle_names = forms.CharField(label="Middle names (optional)", max_length=200, required=False)
    last_name = forms.CharField(
        label="Last name", max_length=100, error_messages={"required": "Enter the child's last name"}
    )
    date_of_birth = DateField(
        label="Date of birth",
        required=False,
        help_text="For example, 27 3 2011. Leave blank if it is not known and give an estimated age.",
    )
    estimated_age = forms.IntegerField(
        label="Estimated age in years (if the date of birth is not known)",
        required=False,
        min_value=0,
        max_value=25,
        error_messages={
            "invalid": "Estimated age must be a whole number, like 14",
            "min_value": "Estimated age must be between 0 and 25",
            "max_value": "Estimated age must be between 0 and 25",
        },
    )
    gender = forms.ChoiceField(
        label="Gender", choices=Gender.choices, initial=Gender.NOT_KNOWN, widget=forms.RadioSelect
    )
    ethnicity = forms.ChoiceField(label="Ethnicity", choices=Ethnicity.choices, initial=Ethnicity.NOT_OBTAINED)
    school = forms.CharField(label="School or college (optional)", max_length=200, required=False)
    looked_after_status = forms.ChoiceField(
        label="Looked-after status", choices=LookedAfterStatus.choices, initial=LookedAfterStatus.NOT_KNOWN
    )
    looked_after_by = forms.CharField(
        label="Local authority looking after the child (optional)", max_length=200, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_name", "middle_names", "last_name"):
            self.fields[name].widget.attrs.update(autocomplete="off", spellcheck="false")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not {"first_name", "last_name", "date_of_birth", "estimated_age"} & set(self.errors):
            try:
                child_identity_validate(
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    date_of_birth=data.get("date_of_birth"),
                    estimated_age=data.get("estimated_age"),
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    for message in messages:
                        self.add_error(field, message)
        return data


class ChildCreateForm(ChildIdentityForm):
    aliases = forms.CharField(
        label="Other names the child is known by (optional)",
        help_text="One per line: nicknames, street names, other spellings, previous names",
        required=False,
        widget=forms.Textarea,
    )
    address_line_1 = forms.CharField(
        label="Current address: building and street (optional)", max_length=200, required=False
    )
    address_town = forms.CharField(label="Town or city (optional)", max_length=100, required=False)
    address_postcode = forms.CharField(label="Postcode (optional)", max_length=10, required=False)
    restrict_to_my_agency = forms.BooleanField(
        label="Restrict this record to my agency",
        help_text=(
            "Only for information that must not be shared with the whole team without a recorded grant, "
            "such as police intelligence"
        ),
        required=False,
    )
    # Set once the user has seen the possible matches and said none of them is this child.
    confirmed_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def details(self) -> ChildDetails:
        data = self.cleaned_data
        address = None
        if data.get("address_line_1"):
            address = NewAddress(
                line_1=data["address_line_1"],
                town=data.get("address_town", ""),
                postcode=data.get("address_postcode", "").upper(),
            )
        return ChildDetails(
            first_name=data["first_name"],
            middle_names=data.get("middle_names", ""),
            last_name=data["last_name"],
            date_of_birth=data.get("date_of_birth"),
            estimated_age=data.get("estimated_age"),
            gender=data["gender"],
            ethnicity=data["ethnicity"],
            school=data.get("school", ""),
            looked_after_status=data["looked_after_status"],
            looked_after_by=data.get("looked_after_by", ""),
            aliases=[line for line in data.get("aliases", "").splitlines() if line.strip()],
            address=address,
        )


class ChildEditForm(ChildIdentityForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def changes(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class ChildAliasForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=200, error_messages={"required": "Enter the name the child is also known by"}
    )
    kind = forms.ChoiceField(label="Kind of name", choices=ChildAlias.Kind.choices)


class ChildAddressForm(forms.Form):
    line_1 = forms.CharField(
        label="Building and street", max_length=200, error_messages={"required": "Enter the building and street"}
    )
    line_2 = forms.CharField(label="Second line of the address (optional)", max_length=200, required=False)
    town = forms.CharField(label="Town or city (optional)", max_length=100, required=False)
    postcode = forms.CharField(label="Postcode (optional)", max_length=10, required=False)
    lived_from = DateField(label="Date the child moved in", required=False, help_text="Leave blank for today")

    def address(self) -> NewAddress:
        return NewAddress(**self.cleaned_data)


class ChildAccessGrantForm(forms.Form):
    username = forms.CharField(
        label="Username of the person who needs to see this record",
        max_length=150,
        error_messages={"required": "Enter the username of the person to give access to"},
    )
    reason = forms.CharField(
        label="Why they need to see it",
        help_text="This is recorded in the access log with your name",
        widget=forms.Textarea,
        max_length=500,
        error_messages={"required": "Say why this person needs to see the record"},
    )


class ChildIdentifierForm(forms.Form):
    system = forms.ChoiceField(label="System", choices=ChildIdentifier.System.choices)
    value = forms.CharField(label="Reference", max_length=100, error_messages={"required": "Enter the reference"})
