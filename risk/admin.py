"""Administrators look after the screening catalogue here: they read every version, make a draft from one, change
the draft and publish it.

A published version is shown read-only and cannot be deleted: referrals and assessments point at its indicators.
Every write goes through `risk.services`, which refuse changes to a published version, so the admin cannot do
anything the rest of the product could not. Versions are never added from scratch here: a draft is a copy.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, ForeignKey, QuerySet, Subquery
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from evolve.ui.forms import RefusesStaleChanges
from risk.models import CatalogueVersion, Indicator, IndicatorCategory
from risk.selectors import catalogue_indicators
from risk.services import (
    catalogue_draft_delete,
    catalogue_draft_from,
    catalogue_draft_update,
    catalogue_publish,
    indicator_add,
    indicator_category_add,
    indicator_category_remove,
    indicator_category_update,
    indicator_category_validate,
    indicator_remove,
    indicator_update,
    indicator_validate,
)


def _by_name(request: HttpRequest) -> str:
    user = request.user
    return str(getattr(user, "display_name", "") or user.get_username())


def _without_bulk_delete(actions: dict[str, Any]) -> dict[str, Any]:
    # The bulk delete works on the queryset directly, past the services; deleting goes through the one-object page.
    actions.pop("delete_selected", None)
    return actions


def _is_published_version(version: CatalogueVersion | None) -> bool:
    return version is not None and version.is_published


class CatalogueVersionForm(RefusesStaleChanges, forms.ModelForm[CatalogueVersion]):
    class Meta:
        model = CatalogueVersion
        fields = ["name", "notes"]


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(admin.ModelAdmin[CatalogueVersion]):
    form = CatalogueVersionForm
    list_display = ["number", "name", "state", "is_current", "indicator_count", "created_by_name", "based_on"]
    list_display_links = ["number", "name"]
    fields = ["number", "name", "state", "notes", "created_at", "created_by_name", "based_on", "contents"]
    readonly_fields = ["number", "state", "created_at", "created_by_name", "based_on", "contents"]
    actions = ["make_draft", "publish"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CatalogueVersion]:
        return (
            super()
            .get_queryset(request)
            .select_related("based_on")
            .annotate(
                size=Count("categories__indicators"),
                # The current version is worked out once for the whole list, not once a row.
                current_number=Subquery(
                    CatalogueVersion.objects.filter(published_at__isnull=False).order_by("-number").values("number")[:1]
                ),
            )
        )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return _without_bulk_delete(super().get_actions(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a new version is always a draft copied from an existing one (the "make a draft" action)

    def has_change_permission(self, request: HttpRequest, obj: CatalogueVersion | None = None) -> bool:
        return not _is_published_version(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: CatalogueVersion | None = None) -> bool:
        return not _is_published_version(obj) and super().has_delete_permission(request, obj)

    def has_draft_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("risk.add_catalogueversion")

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("risk.change_catalogueversion")

    @admin.display(description="State")
    def state(self, version: CatalogueVersion) -> str:
        if version.published_at is None:
            return "Draft"
        return f"Published {version.published_at:%d %B %Y}"

    @admin.display(description="Current", boolean=True)
    def is_current(self, version: CatalogueVersion) -> bool:
        return version.is_published and getattr(version, "current_number", None) == version.number

    @admin.display(description="Indicators")
    def indicator_count(self, version: CatalogueVersion) -> int:
        return int(getattr(version, "size", 0))

    @admin.display(description="Categories and indicators")
    def contents(self, version: CatalogueVersion) -> str:
        groups = catalogue_indicators(version=version)
        if not groups:
            return "No indicators yet."
        return format_html_join(
            "",
            "<h3>{}</h3><ol>{}</ol>",
            (
                (
                    group.name,
                    format_html_join(
                        "",
                        "<li>{}{} <code>{}</code> ({})</li>",
                        (
                            (
                                indicator.text,
                                format_html(" <strong>{}</strong>", "High risk") if indicator.is_high_risk else "",
                                indicator.code,
                                indicator.get_applies_to_display(),
                            )
                            for indicator in group.indicators
                        ),
                    ),
                )
                for group in groups
            ),
        )

    def save_model(self, request: HttpRequest, obj: CatalogueVersion, form: forms.ModelForm[Any], change: bool) -> None:
        catalogue_draft_update(version=obj, changes={name: form.cleaned_data[name] for name in form.changed_data})

    def delete_model(self, request: HttpRequest, obj: CatalogueVersion) -> None:
        catalogue_draft_delete(version=obj)

    @admin.action(description="Make a draft copy of the selected version", permissions=["draft"])
    def make_draft(self, request: HttpRequest, queryset: QuerySet[CatalogueVersion]) -> None:
        for version in queryset.order_by("number"):
            draft = catalogue_draft_from(version=version, by_name=_by_name(request))
            url = reverse("admin:risk_catalogueversion_change", args=[draft.pk])
            self.message_user(
                request,
                format_html(
                    'Version {} is a new draft copied from version {}. <a href="{}">Change it</a>, then publish it.',
                    draft.number,
                    version.number,
                    url,
                ),
                messages.SUCCESS,
            )

    @admin.action(description="Publish the selected draft", permissions=["publish"])
    def publish(self, request: HttpRequest, queryset: QuerySet[CatalogueVersion]) -> None:
        for version in queryset.order_by("number"):
            try:
                published = catalogue_publish(version=version)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Version {published.number} is published and is now the current catalogue.",
                    messages.SUCCESS,
                )


class IndicatorCategoryForm(RefusesStaleChanges, forms.ModelForm[IndicatorCategory]):
    class Meta:
        model = IndicatorCategory
        fields = ["version", "code", "name", "order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "order" in self.fields:
            self.fields["order"].required = False
            self.fields["order"].help_text = "Leave blank to put it last"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        version = cleaned.get("version") or (self.instance.version if self.instance.pk else None)
        if version is not None and "code" in cleaned and "name" in cleaned:
            indicator_category_validate(
                version=version, code=cleaned["code"], name=cleaned["name"], exclude_id=self.instance.pk
            )
        return cleaned


@admin.register(IndicatorCategory)
class IndicatorCategoryAdmin(admin.ModelAdmin[IndicatorCategory]):
    form = IndicatorCategoryForm
    list_display = ["name", "code", "version", "order", "indicator_count"]
    list_filter = ["version"]
    list_select_related = ["version"]
    ordering = ["-version__number", "order", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorCategory]:
        return super().get_queryset(request).annotate(size=Count("indicators"))

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return _without_bulk_delete(super().get_actions(request))

    def get_readonly_fields(self, request: HttpRequest, obj: IndicatorCategory | None = None) -> list[str]:
        return ["version"] if obj is not None else []

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "version":
            kwargs["queryset"] = CatalogueVersion.objects.filter(published_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: IndicatorCategory | None = None) -> bool:
        return not (obj is not None and obj.version.is_published) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: IndicatorCategory | None = None) -> bool:
        return not (obj is not None and obj.version.is_published) and super().has_delete_permission(request, obj)

    @admin.display(description="Indicators")
    def indicator_count(self, category: IndicatorCategory) -> int:
        return int(getattr(category, "size", 0))

    def save_model(
        self, request: HttpRequest, obj: IndicatorCategory, form: forms.ModelForm[Any], change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            indicator_category_update(
                category=obj,
                changes={name: data[name] for name in form.changed_data if name in ("code", "name", "order")},
            )
        else:
            created = indicator_category_add(
                version=data["version"], code=data["code"], name=data["name"], order=data.get("order")
            )
            obj.pk = created.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: IndicatorCategory) -> None:
        indicator_category_remove(category=obj)


class IndicatorForm(RefusesStaleChanges, forms.ModelForm[Indicator]):
    class Meta:
        model = Indicator
        fields = ["category", "code", "text", "guidance", "is_high_risk", "applies_to", "order"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "order" in self.fields:
            self.fields["order"].required = False
            self.fields["order"].help_text = "Leave blank to put it last in its category"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        category = cleaned.get("category")
        if category is not None and all(name in cleaned for name in ("code", "text", "applies_to")):
            indicator_validate(
                version=category.version,
                code=cleaned["code"],
                text=cleaned["text"],
                applies_to=cleaned["applies_to"],
                exclude_id=self.instance.pk,
            )
        return cleaned


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin[Indicator]):
    form = IndicatorForm
    list_display = ["text", "code", "category", "version_number", "is_high_risk", "applies_to"]
    list_filter = ["category__version", "is_high_risk", "applies_to"]
    list_select_related = ["category__version"]
    search_fields = ["code", "text"]
    ordering = ["-category__version__number", "category__order", "order", "id"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return _without_bulk_delete(super().get_actions(request))

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "category":
            kwargs["queryset"] = IndicatorCategory.objects.filter(version__published_at__isnull=True).select_related(
                "version"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Indicator | None = None) -> bool:
        published = obj is not None and obj.category.version.is_published
        return not published and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Indicator | None = None) -> bool:
        published = obj is not None and obj.category.version.is_published
        return not published and super().has_delete_permission(request, obj)

    @admin.display(description="Version", ordering="category__version__number")
    def version_number(self, indicator: Indicator) -> int:
        return indicator.category.version.number

    def save_model(self, request: HttpRequest, obj: Indicator, form: forms.ModelForm[Any], change: bool) -> None:
        data = form.cleaned_data
        if change:
            indicator_update(indicator=obj, changes={name: data[name] for name in form.changed_data})
        else:
            created = indicator_add(
                category=data["category"],
                code=data["code"],
                text=data["text"],
                guidance=data["guidance"],
                is_high_risk=data["is_high_risk"],
                applies_to=data["applies_to"],
                order=data.get("order"),
            )
            obj.pk = created.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Indicator) -> None:
        indicator_remove(indicator=obj)
