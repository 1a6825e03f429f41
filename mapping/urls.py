"""Mapping pages (docs/adr/0010-mapping-network.md)."""

from django.urls import path

from mapping.views import network, pursuit, records

app_name = "mapping"

urlpatterns = [
    path("pursuit/", pursuit.pursuit_list, name="pursuit"),
    path("investigations/new/", pursuit.investigation_new, name="investigation-new"),
    path("investigations/<uuid:public_id>/", pursuit.investigation_detail, name="investigation-detail"),
    path("prosecutions/new/", pursuit.prosecution_new, name="prosecution-new"),
    path("prosecutions/<uuid:public_id>/", pursuit.prosecution_detail, name="prosecution-detail"),
    path("disruptions/new/", pursuit.disruption_new, name="disruption-new"),
    path("disruptions/<uuid:public_id>/", pursuit.disruption_detail, name="disruption-detail"),
    path("intelligence-pack/", pursuit.pack_page, name="pack"),
    path("intelligence-pack.pdf", pursuit.pack_pdf, name="pack-pdf"),
    path("intelligence-pack.csv", pursuit.pack_csv, name="pack-csv"),
    path("<uuid:public_id>/network/", network.network_page, name="network"),
    path("child/<uuid:child_id>/network/", network.child_network, name="child-network"),
    path("hotspots/", network.hotspot_map, name="hotspots"),
    path("", records.record_list, name="record-list"),
    path("new/<str:kind>/", records.record_new, name="record-new"),
    path("<uuid:public_id>/", records.record_detail, name="record-detail"),
    path("<uuid:public_id>/edit/", records.record_edit, name="record-edit"),
    path("<uuid:public_id>/flag/", records.record_flag, name="record-flag"),
    path("<uuid:public_id>/link/", records.link_new, name="link-new"),
    path("links/<uuid:public_id>/", records.link_detail, name="link-detail"),
    path("links/<uuid:public_id>/edit/", records.link_edit, name="link-edit"),
    path("links/<uuid:public_id>/withdraw/", records.link_withdraw, name="link-withdraw"),
    path("child/<uuid:child_id>/", records.child_mapping, name="child-mapping"),
    path("child/<uuid:child_id>/link/", records.child_link_new, name="child-link-new"),
    path("child/<uuid:child_id>/linked-children/", records.linked_children, name="linked-children"),
    path("child/<uuid:child_id>/missing/new/", records.missing_new, name="missing-new"),
    path("missing/<uuid:public_id>/", records.missing_edit, name="missing-edit"),
]
