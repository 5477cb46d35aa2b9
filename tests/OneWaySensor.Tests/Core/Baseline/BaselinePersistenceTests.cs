using OneWaySensor.Detection.Baseline;
using static OneWaySensor.Tests.Core.Baseline.BaselineFlows;

namespace OneWaySensor.Tests.Core.Baseline;

public class BaselinePersistenceTests
{
    private const string Image = "web:1";

    /// <summary>A store in memory that can be told to fail.</summary>
    private sealed class MemoryStore : IBaselineStore
    {
        public Dictionary<string, ImageBaseline> Saved { get; } = [];

        public int SaveCalls { get; private set; }

        public bool Fail { get; set; }

        public IReadOnlyDictionary<string, ImageBaseline> Load() => Saved;

        public void Save(IReadOnlyCollection<ImageBaseline> changed)
        {
            SaveCalls++;
            if (Fail)
            {
                throw new BaselineStoreException("baseline store /nowhere: cannot write: disk full");
            }

            foreach (ImageBaseline baseline in changed)
            {
                Saved[baseline.Image] = baseline;
            }
        }
    }

    [Fact]
    public void Changes_are_saved_once_per_interval()
    {
        var model = new BaselineModel(new BaselineOptions { SaveIntervalSeconds = 60 });
        var store = new MemoryStore();
        var persistence = new BaselinePersistence(model, store, Start);
        model.Learn(Image, Flow(40000, "203.0.113.10", 443, 500, 900, Start), Start);

        Assert.False(persistence.SaveIfDue(Start + (59 * Second)));
        Assert.True(persistence.SaveIfDue(Start + (60 * Second)));
        model.Learn(Image, Flow(40001, "203.0.113.11", 443, 500, 900, Start), Start + (61 * Second));
        Assert.False(persistence.SaveIfDue(Start + (61 * Second)));

        Assert.Equal(1, store.SaveCalls);
        Assert.Single(store.Saved[Image].Destinations);
        Assert.True(persistence.Flush());
        Assert.Equal(2, store.Saved[Image].Destinations.Count);
        Assert.Equal(2ul, persistence.Saves);
        Assert.Equal(2ul, persistence.BaselinesSaved);
        Assert.False(persistence.Flush());
    }

    [Fact]
    public void A_failed_save_is_counted_and_retried()
    {
        var model = new BaselineModel(new BaselineOptions { SaveIntervalSeconds = 60 });
        var store = new MemoryStore { Fail = true };
        var persistence = new BaselinePersistence(model, store, Start);
        model.Learn(Image, Flow(40000, "203.0.113.10", 443, 500, 900, Start), Start);

        Assert.False(persistence.SaveIfDue(Start + (60 * Second)));
        Assert.Equal(1ul, persistence.SaveFailures);
        Assert.Equal("baseline store /nowhere: cannot write: disk full", persistence.LastError);

        store.Fail = false;
        Assert.True(persistence.SaveIfDue(Start + (120 * Second)));
        Assert.Single(store.Saved[Image].Destinations);
    }
}
