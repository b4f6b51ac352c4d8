"""The clerk workbench under ``/workbench/``. Task URLs use the same ids as the API's ``/tasks/{id}/``."""
from django.urls import path

from . import access_records, counter, supervision, supervisors, verifications, views

app_name = "workbench"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", views.mine, name="mine"),
    path("next/", views.next_task, name="next"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/claim/", views.claim, name="claim"),
    path("tasks/<int:task_id>/release/", views.release, name="release"),
    path("tasks/<int:task_id>/assign/", views.assign, name="assign"),
    path("tasks/<int:task_id>/decide/", views.decide, name="decide"),
    path("tasks/<int:task_id>/documents/<int:document_id>/", views.document, name="document"),
    path("tasks/<int:task_id>/corrections/<int:request_id>/<str:material_code>/", views.replaced_document,
         name="replaced-document"),
    path("tasks/<int:task_id>/deliveries/<int:delivery_id>/", views.delivery_advance, name="delivery-advance"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("verifications/", verifications.verifications, name="verifications"),
    path("verifications/<int:pk>/", verifications.verification, name="verification"),
    path("verifications/<int:pk>/commitment.pdf", verifications.verification_pdf, name="verification-pdf"),
    path("board/", supervisors.board, name="board"),
    path("board/overdue/", supervisors.board_overdue, name="board-overdue"),
    path("board/evaluations/<int:evaluation_id>/follow-up/", supervisors.follow_up, name="follow-up"),
    # Supervision statistics (read-only): workbench/supervision.py.
    path("stats/", supervision.stats_heatmap, name="stats"),
    path("stats/cases/", supervision.stats_cases, name="stats-cases"),
    path("stats/reform/", supervision.stats_reform, name="stats-reform"),
    path("stats/ratings/", supervision.stats_ratings, name="stats-ratings"),
    path("stats/time/", supervision.stats_time, name="stats-time"),
    # Who read whose data (issue 20): workbench/access_records.py.
    path("access-records/", access_records.access_records, name="access-records"),
    # The service-hall counter (一窗受理): workbench/counter.py.
    path("counter/", counter.counter_home, name="counter"),
    path("counter/party/", counter.counter_party, name="counter-party"),
    path("counter/next/", counter.counter_next, name="counter-next"),
    path("counter/applications/<int:pk>/form/", counter.counter_form, name="counter-form"),
    path("counter/applications/<int:pk>/materials/", counter.counter_materials, name="counter-materials"),
    path("counter/applications/<int:pk>/check/", counter.counter_check, name="counter-check"),
    path("counter/applications/<int:pk>/submit/", counter.counter_submit, name="counter-submit"),
    path("counter/applications/<int:pk>/receipt/", counter.counter_receipt, name="counter-receipt"),
]
