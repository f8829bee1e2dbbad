from django.contrib import admin

from registry.models import Center, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Center)
class CenterAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "center", "role"]
    list_filter = ["role", "center"]
    search_fields = ["user__username", "center__code"]
    list_select_related = ["user", "center"]
