using BenchmarkDotNet.Running;

namespace OneWaySensor.Bench;

/// <summary>
/// Runs the benchmarks chosen by the arguments (for example <c>--filter '*RecordDispatch*'</c>);
/// <c>drain ...</c> is instead the C# consumer of the drain system benchmark (bench/drain/run.sh).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && args[0] == "drain")
        {
            return DrainConsumer.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
