using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using FusedOps.Benchmarks.Onnx;

namespace FusedOps.Benchmarks;

/// <summary>
/// How fast the first calls are: a fresh child process (this program with <c>--first-call CASE SUBJECT</c>)
/// builds the model, freezes it and infers once (timed together, as a user's first result), then
/// times calls 2–30 one by one, then the steady state after a second of calls. The same harness times
/// ONNX Runtime on the same case (session creation in the first result) and a control: a bare SIMD dot
/// product with no library at all, which shows what the machine alone does to the first calls.
/// </summary>
internal static class FirstCalls
{
    private const string Marker = "FIRSTCALLS";

    // The control's length: 4,096 floats (16 KB, two input streams of 8 KB), about 0.3 µs at steady state,
    // the size of case S1's input and weights.
    private const int ControlLength = 4096;

    private delegate void InferCall(ReadOnlySpan<float> input, Span<float> output, int batchSize);

    /// <summary>What a child process times.</summary>
    public enum Subject
    {
        /// <summary>The generated model's <c>Frozen.Infer</c>.</summary>
        Fused,

        /// <summary>The same with <see cref="KernelOptions.WarmUp"/> on: the inference code compiled ahead on another core.</summary>
        FusedWarmUp,

        /// <summary>The same, with tiered compilation off (every method fully optimised on its first call).</summary>
        FusedTieringOff,

        /// <summary>ONNX Runtime on the same model (1 intra-op thread); the first result includes building the session.</summary>
        Onnx,

        /// <summary>A bare SIMD dot product of 4,096 floats: no model, no library.</summary>
        Control,
    }

    /// <summary>Result of one child: milliseconds.</summary>
    public readonly record struct Result(double First, double Median2To30, double Max2To30, double Steady, Parts Parts);

    /// <summary>
    /// Where the first result's time went, milliseconds: building the model, freezing it (building the ORT session for
    /// <see cref="Subject.Onnx"/>), the first call; and how much of the whole the JIT compiler took
    /// in each (<see cref="System.Runtime.JitInfo.GetCompilationTime"/>, every thread) and how many methods it compiled in all.
    /// </summary>
    public readonly record struct Parts(double Construct, double Freeze, double Call, double ConstructJit, double FreezeJit, double CallJit, int Methods);

    /// <summary>Runs the child for <paramref name="caseId"/> and parses its line; null if it failed.</summary>
    /// <param name="caseId">The case (ignored by the control).</param>
    /// <param name="subject">What the child times.</param>
    public static Result? Measure(string caseId, Subject subject)
    {
        string path = Environment.ProcessPath!;
        string dll = typeof(FirstCalls).Assembly.Location;
        bool viaHost = System.IO.Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, UseShellExecute = false };
        if (viaHost)
        {
            start.ArgumentList.Add(dll);
        }

        if (subject == Subject.FusedTieringOff)
        {
            start.Environment["DOTNET_TieredCompilation"] = "0";
        }

        start.ArgumentList.Add("--first-call");
        start.ArgumentList.Add(caseId);
        start.ArgumentList.Add(subject.ToString());
        using Process child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            return null;
        }

        double[] v = line[Marker.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return new Result(v[0], v[1], v[2], v[3], new Parts(v[4], v[5], v[6], v[7], v[8], v[9], (int)v[10]));
    }

    /// <summary>The child's side: prints one line for the parent.</summary>
    /// <remarks>
    /// Every call goes through one call site, a delegate, as a serving loop would call it. Through
    /// <see cref="IInferenceModel"/> instead, the second call from each call site pays the runtime's one-time
    /// interface-dispatch set-up at that site (a dispatch stub written into executable memory: 15–25 µs measured
    /// here under load, 4–6 µs for an empty method in a ten-line program), a cost of the caller's call site and
    /// not of the model; docs/performance.md ("First calls") has the measurements.
    /// </remarks>
    /// <param name="caseId">The case.</param>
    /// <param name="subjectName">A <see cref="Subject"/> name.</param>
    public static int Child(string caseId, string subjectName)
    {
        Subject subject = Enum.Parse<Subject>(subjectName);
        KernelOptions.MaxDegreeOfParallelism = 1; // the table reports one thread (the default is every core)
        KernelOptions.WarmUp = subject == Subject.FusedWarmUp;
        TimeSpan jit0 = System.Runtime.JitInfo.GetCompilationTime();
        long methods0 = System.Runtime.JitInfo.GetCompiledMethodCount();
        long start = Stopwatch.GetTimestamp();
        (InferCall infer, float[] input, float[] output, int batch, IDisposable? owner, double construct, TimeSpan jitBuilt) = Build(caseId, subject, start);
        using IDisposable? disposeLater = owner;
        double built = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        TimeSpan jit1 = System.Runtime.JitInfo.GetCompilationTime();
        double call = Timed(infer, input, output, batch);
        double first = built + call;
        TimeSpan jit2 = System.Runtime.JitInfo.GetCompilationTime();
        long methods = System.Runtime.JitInfo.GetCompiledMethodCount() - methods0;
        double[] early = new double[29];
        for (int i = 0; i < early.Length; i++)
        {
            early[i] = Timed(infer, input, output, batch);
        }

        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 1)
        {
            Timed(infer, input, output, batch);
        }

        double[] steady = new double[51];
        for (int i = 0; i < steady.Length; i++)
        {
            steady[i] = Timed(infer, input, output, batch);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Marker} {first} {Median(early)} {early.Max()} {Median(steady)} {construct} {built - construct} {call} {Ms(jitBuilt - jit0)} {Ms(jit1 - jitBuilt)} {Ms(jit2 - jit1)} {methods}"));
        return 0;
    }

    private static double Ms(TimeSpan t) => t.TotalMilliseconds;

    // Builds what the child calls; Construct is the milliseconds from start to the model built (the rest of the
    // building is Freeze, or the ORT session) and JitBuilt the JIT's total compilation time at that point.
    private static (InferCall Infer, float[] Input, float[] Output, int Batch, IDisposable? Owner, double Construct, TimeSpan JitBuilt) Build(string caseId, Subject subject, long start)
    {
        if (subject == Subject.Control)
        {
            float[] a = new float[ControlLength], b = new float[1];
            a.AsSpan().Fill(0.5f);
            return (Dot, a, b, 1, null, Stopwatch.GetElapsedTime(start).TotalMilliseconds, System.Runtime.JitInfo.GetCompilationTime());
        }

        CaseDefinition d = Workload.Definition(caseId);
        IFusedModel model = d.Construct();
        double construct = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        TimeSpan jitBuilt = System.Runtime.JitInfo.GetCompilationTime();
        float[] input = new float[d.Batch * model.InputLength], output = new float[d.Batch * model.OutputLength];
        if (subject == Subject.Onnx)
        {
            var onnx = new OnnxPipeline(model, Workload.LayersOf(d.Pipeline), input, output, d.Batch, threads: 1);
            return ((_, _, _) => onnx.Infer(), input, output, d.Batch, onnx, construct, jitBuilt);
        }

        IInferenceModel frozen = d.Freeze(model);
        return (frozen.Infer, input, output, d.Batch, null, construct, jitBuilt);
    }

    // The control: a dot product of the input with itself in 512-bit (or narrower) vectors, written to output[0].
    private static void Dot(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        var sum = Vector512<float>.Zero;
        for (int i = 0; i + Vector512<float>.Count <= input.Length; i += Vector512<float>.Count)
        {
            var v = Vector512.Create(input.Slice(i, Vector512<float>.Count));
            sum = Vector512.FusedMultiplyAdd(v, v, sum);
        }

        output[0] = Vector512.Sum(sum);
    }

    // The one call site of every timed call (not inlined, so the call site stays one).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Timed(InferCall infer, float[] input, float[] output, int batch)
    {
        long t = Stopwatch.GetTimestamp();
        infer(input, output, batch);
        return Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
