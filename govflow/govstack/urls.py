"""The GovStack Registration Building Block API's paths, as the OpenAPI documents write them
(no trailing slash), under ``GOVFLOW_GOVSTACK_PREFIX``."""
from django.urls import path

from . import views

app_name = "govstack"

urlpatterns = [
    path("services", views.ServiceListView.as_view(), name="services"),
    path("services/<str:service_id>", views.ServiceDetailView.as_view(), name="service"),
    path("services/<str:service_id>/eForms", views.ServiceEFormsView.as_view(), name="service-eforms"),
    path("services/<str:service_id>/applications", views.ServiceApplicationsView.as_view(),
         name="service-applications"),
    path("eForms/<str:eform_id>", views.EFormView.as_view(), name="eform"),
    path("applications", views.ApplicationListView.as_view(), name="applications"),
    path("applications/<str:file_id>", views.ApplicationDetailView.as_view(), name="application"),
    path("documents", views.DocumentUploadView.as_view(), name="documents"),
    path("tasks", views.TaskListView.as_view(), name="tasks"),
    path("tasks/<str:task_id>", views.TaskDetailView.as_view(), name="task"),
    path("tasks/<str:task_id>/complete", views.TaskCompleteView.as_view(), name="task-complete"),
    path("data/statistics", views.StatisticsView.as_view(), name="statistics"),
]
