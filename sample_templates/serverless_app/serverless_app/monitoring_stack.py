"""Monitoring stack: alarms + dashboard for the Api stack (cross-stack references)."""
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw, aws_cloudwatch_actions as cw_actions
from constructs import Construct

from .api_stack import ApiStack
from .config import StageConfig


class MonitoringStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, api_stack: ApiStack, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)

        if config.defective:
            # DEFECT 7: a single Errors alarm on one function, no alarm action,
            # no Duration/Throttles alarms, no API 4XX/5XX alarms, no dashboard.
            cw.Alarm(
                self, "OrdersApiErrorsAlarm",
                metric=api_stack.orders_fn.metric_errors(period=Duration.minutes(5)),
                threshold=1,
                evaluation_periods=1,
            )
            return

        action = cw_actions.SnsAction(api_stack.alerts_topic)
        period = Duration.minutes(5)
        names = {
            api_stack.orders_fn: "OrdersApi",
            api_stack.report_fn: "Report",
            api_stack.worker_fn: "Worker",
        }
        widgets = []
        for fn in api_stack.functions:
            name = names[fn]
            metrics = {
                "Errors": (fn.metric_errors(period=period), 1),
                "Duration": (fn.metric_duration(period=period, statistic="p99"),
                             fn.timeout.to_milliseconds() * 0.8),
                "Throttles": (fn.metric_throttles(period=period), 1),
            }
            for metric_name, (metric, threshold) in metrics.items():
                alarm = cw.Alarm(
                    self, f"{name}{metric_name}Alarm",
                    alarm_description=f"{name} function {metric_name}",
                    metric=metric,
                    threshold=threshold,
                    evaluation_periods=1,
                    comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                )
                alarm.add_alarm_action(action)
            widgets.append(cw.GraphWidget(
                title=f"{name} function",
                left=[fn.metric_invocations(period=period), fn.metric_errors(period=period),
                      fn.metric_throttles(period=period)],
                right=[fn.metric_duration(period=period, statistic="p99")],
                width=8,
            ))

        api = api_stack.api
        for metric_name, metric in {
            "Api4XXError": api.metric_client_error(period=period),
            "Api5XXError": api.metric_server_error(period=period),
        }.items():
            alarm = cw.Alarm(
                self, f"{metric_name}Alarm",
                alarm_description=f"REST API {metric_name}",
                metric=metric,
                threshold=5 if metric_name == "Api4XXError" else 1,
                evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)
        widgets.append(cw.GraphWidget(
            title="Orders REST API",
            left=[api.metric_count(period=period), api.metric_client_error(period=period),
                  api.metric_server_error(period=period)],
            right=[api.metric_latency(period=period, statistic="p99")],
            width=8,
        ))

        cw.Dashboard(
            self, "Dashboard",
            default_interval=Duration.hours(3),
            widgets=[widgets[i:i + 3] for i in range(0, len(widgets), 3)],
        )
