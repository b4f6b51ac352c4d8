"""The clerk workbench under ``/workbench/``. Task URLs use the same ids as the API's ``/tasks/{id}/``."""
from django.urls import path

from . import views

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
    path("board/", views.board, name="board"),
    path("board/overdue/", views.board_overdue, name="board-overdue"),
    path("board/evaluations/<int:evaluation_id>/follow-up/", views.follow_up, name="follow-up"),
]
