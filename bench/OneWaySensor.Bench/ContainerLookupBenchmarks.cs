using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using OneWaySensor.Containers;
using OneWaySensor.Containers.Cgroups;
using OneWaySensor.Containers.Engine;
using OneWaySensor.Linux.Cgroups;

namespace OneWaySensor.Bench;

/// <summary>
/// The enrichment lookups: container metadata from the cache (hit and miss)
/// and cgroup id to path (hit). A hit must be a lookup and nothing more:
/// 0 bytes allocated. Parsing a cgroup path happens once per alert, not per
/// record, and is measured for scale.
/// </summary>
[MemoryDiagnoser]
public class ContainerLookupBenchmarks
{
    private const int Lookups = 1024;
    private const string CgroupPath = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6e4b3d9a_1b2c_4d5e_8f90_123456789abc.slice/cri-containerd-7be92808767a667f35c8505cbf40d14e931ef6db5b0210329cf193b15ba9d605.scope";

    private readonly string[] knownIds = new string[Lookups];
    private readonly string[] unknownIds = new string[Lookups];
    private ContainerMetadataCache cache = null!;
    private CgroupDirectory cgroups = null!;
    private ulong[] cgroupIds = [];
    private string tree = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var engine = new FixedEngine();
        cache = new ContainerMetadataCache(engine);
        for (int i = 0; i < Lookups; i++)
        {
            knownIds[i] = (i + 1).ToString("x64", System.Globalization.CultureInfo.InvariantCulture);
            unknownIds[i] = (i + 1_000_000).ToString("x64", System.Globalization.CultureInfo.InvariantCulture);
            engine.Known.Add(knownIds[i]);

            // fills the cache as the event loop would
            cache.GetOrFetchAsync(knownIds[i], TimeSpan.FromSeconds(5), CancellationToken.None).GetAwaiter().GetResult();
        }

        tree = Directory.CreateTempSubdirectory("ows-bench-cgroups-").FullName;
        var ids = new List<ulong>();
        for (int i = 0; i < 64; i++)
        {
            string directory = Path.Combine(tree, "docker", knownIds[i]);
            Directory.CreateDirectory(directory);
            ids.Add(FileInode.Of(directory)!.Value);
        }

        cgroups = new CgroupDirectory(tree);
        foreach (ulong id in ids)
        {
            cgroups.PathOf(id);
        }

        cgroupIds = [.. ids];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        cache.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(tree, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int MetadataCacheHit()
    {
        int found = 0;
        foreach (string id in knownIds)
        {
            found += cache.TryGet(id, out _) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int MetadataCacheMiss()
    {
        int found = 0;
        foreach (string id in unknownIds)
        {
            found += cache.TryGet(id, out _) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int CgroupPathHit()
    {
        int length = 0;
        for (int i = 0; i < Lookups; i++)
        {
            length += cgroups.PathOf(cgroupIds[i % cgroupIds.Length])!.Length;
        }

        return length;
    }

    [Benchmark]
    public ContainerIdentity? ParseCgroupPath() => CgroupPathParser.Parse(CgroupPath);

    /// <summary>An engine that knows a fixed set of ids and answers at once.</summary>
    private sealed class FixedEngine : IContainerEngine
    {
        public HashSet<string> Known { get; } = [];

        public Task<ContainerMetadata?> InspectAsync(string id, CancellationToken cancellationToken) =>
            Task.FromResult(Known.Contains(id) ? new ContainerMetadata { Id = id, Name = "bench", Image = "busybox" } : null);

        public Task<IReadOnlyList<string>> ListContainerIdsAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<string>>([.. Known]);

        public async IAsyncEnumerable<RuntimeEvent> EventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }
    }
}
