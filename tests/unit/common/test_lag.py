"""Consumer-lag arithmetic, with plain values."""

from __future__ import annotations

from aiokafka import TopicPartition

from services.common.lag import lag_per_topic

A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


def test_lag_sums_the_partitions_of_each_topic() -> None:
    lag = lag_per_topic([A0, A1, B0], {A0: 10, A1: 5, B0: 3}, {}, {A0: 8, A1: 5, B0: 0})
    assert lag == {"a": 2, "b": 3}


def test_a_partition_never_committed_counts_from_its_first_retained_record() -> None:
    assert lag_per_topic([A0], {A0: 10}, {A0: 4}, {A0: -1}) == {"a": 6}
    assert lag_per_topic([A0], {A0: 10}, {A0: 4}, {}) == {"a": 6}


def test_a_commit_past_the_end_after_a_broker_reset_is_not_negative_lag() -> None:
    assert lag_per_topic([A0], {A0: 2}, {A0: 0}, {A0: 50}) == {"a": 0}
