"""Monitoring: alarms on the API-facing functions (not on every function), a dashboard in Prod only."""
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw, aws_cloudwatch_actions as cw_actions, aws_sns as sns
from constructs import Construct

from .api_stack import ApiStack
from .config import StageConfig


class MonitoringStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig,
                 api: ApiStack, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        topic = sns.Topic(self, "AlarmTopic", enforce_ssl=True)
        action = cw_actions.SnsAction(topic)
        period = Duration.minutes(5)

        watched = {"Orders": api.orders_fn, "Items": api.items_fn}
        widgets = []
        for name, fn in watched.items():
            metrics = {
                "Errors": (fn.metric_errors(period=period), 1),
                "Throttles": (fn.metric_throttles(period=period), 1),
                "Duration": (fn.metric_duration(period=period, statistic="p99"), 5000),
            }
            for metric_name, (metric, threshold) in metrics.items():
                alarm = cw.Alarm(
                    self, f"{name}{metric_name}Alarm",
                    metric=metric,
                    threshold=threshold,
                    evaluation_periods=1,
                    treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                )
                alarm.add_alarm_action(action)
            widgets.append(cw.GraphWidget(title=f"{name} function", left=[m for m, _ in metrics.values()]))

        api_5xx = cw.Alarm(
            self, "RestApi5xxAlarm",
            metric=api.rest_api.metric_server_error(period=period),
            threshold=5,
            evaluation_periods=1,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        api_5xx.add_alarm_action(action)

        if config.is_prod:
            cw.Dashboard(self, "Dashboard", widgets=[widgets])
