from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "govflow.bench"
    label = "bench"
    verbose_name = "Benchmark"
