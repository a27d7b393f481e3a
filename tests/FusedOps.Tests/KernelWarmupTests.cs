using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using FusedOps.Generated;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>A pipeline only <see cref="KernelWarmupTests"/> builds, so its warm-up is the one these tests start.</summary>
[FusedPipeline(3, 12, 10)]
[Conv2d(8, 3, Padding = 1)]
[BatchNorm]
[ReLU]
[MaxPool2d(2)]
[Flatten]
[Linear(16)]
[ReLU]
[Linear(5)]
public partial class WarmUpNet
{
}

/// <summary>
/// <see cref="KernelWarmup"/> and <see cref="KernelOptions.WarmUp"/>: a generated model's constructor compiles its inference code
/// on a background thread, once per type, reading the model and changing nothing. In the KernelLevel collection: the switch is
/// process-wide, and the sweep must not run while another test changes the vector width.
/// </summary>
[Collection("KernelLevel")]
public sealed class KernelWarmupTests
{
    private const int Timeout = 120_000;

    private static bool CanWarm => Environment.ProcessorCount >= 2 && System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled;

    [Fact]
    public void Start_RunsOncePerType_OnAnotherThread_WithPackingsSkippedAndOneThread()
    {
        var probe = new Probe();
        bool started = WithWarmUp(true, () => KernelWarmup.Start<Probe>(() => Record(probe)));
        if (!CanWarm)
        {
            Assert.False(started);
            return;
        }

        Assert.True(started);
        Assert.True(KernelWarmup.Wait(Timeout), "the warm-up did not finish");
        Assert.True(KernelWarmup.HasFinished<Probe>());
        Assert.Null(KernelWarmup.ErrorOf<Probe>());
        Assert.Equal(1, probe.Runs);
        Assert.NotEqual(Environment.CurrentManagedThreadId, probe.Thread);
        Assert.True(probe.Active);
        Assert.False(KernelWarmup.Active);
        Assert.Equal(1, probe.Threads);

        // The packing the warm-up thread got: zeros of the real length; this thread's is the weights packed.
        float[] w = Enumerable.Range(1, 16 * 8).Select(i => (float)i).ToArray();
        float[] packed = LinearKernels.PackWeights(w, 16, 8);
        Assert.Equal(packed.Length, probe.Packed!.Length);
        Assert.All(probe.Packed, v => Assert.Equal(0f, v));
        Assert.Contains(packed, v => v != 0f);

        // Once per type: a second model of it starts nothing.
        Assert.False(WithWarmUp(true, () => KernelWarmup.Start<Probe>(() => Record(probe))));
        Assert.True(KernelWarmup.Wait(Timeout));
        Assert.Equal(1, probe.Runs);
    }

    [Fact]
    public void Start_WithWarmUpOff_StartsNothing_AndALaterStartStillRuns()
    {
        var probe = new OffProbe();
        Assert.False(WithWarmUp(false, () => KernelWarmup.Start<OffProbe>(() => Record(probe))));
        Assert.True(KernelWarmup.Wait(Timeout));
        Assert.Equal(0, probe.Runs);
        Assert.False(KernelWarmup.HasFinished<OffProbe>());

        Assert.Equal(CanWarm, WithWarmUp(true, () => KernelWarmup.Start<OffProbe>(() => Record(probe))));
        Assert.True(KernelWarmup.Wait(Timeout));
        Assert.Equal(CanWarm ? 1 : 0, probe.Runs);
    }

    [Fact]
    public void Start_KeepsTheWarmUpsException_AndThrowsNothing()
    {
        var boom = new InvalidOperationException("boom");
        bool started = WithWarmUp(true, () => KernelWarmup.Start<ThrowingProbe>(() => throw boom));
        Assert.Equal(CanWarm, started);
        Assert.True(KernelWarmup.Wait(Timeout));
        if (CanWarm)
        {
            Assert.True(KernelWarmup.HasFinished<ThrowingProbe>());
            Assert.Same(boom, KernelWarmup.ErrorOf<ThrowingProbe>());
        }
    }

    [Fact]
    public void Start_NullAction_Throws()
    {
        Assert.Equal("warm", Assert.Throws<ArgumentNullException>(() => KernelWarmup.Start<Probe>(null!)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelWarmup.Wait(-2));
    }

    [Fact]
    public void GeneratedModel_WarmsItsInferenceWhenBuilt_AndLeavesTheModelAsItWas()
    {
        WarmUpNet model = WithWarmUp(true, () => new WarmUpNet(5));
        Assert.True(KernelWarmup.Wait(Timeout), "the warm-up did not finish");
        Assert.Equal(CanWarm, KernelWarmup.HasFinished<FusedOps_Tests_WarmUpNet_Training>());
        Assert.Null(KernelWarmup.ErrorOf<FusedOps_Tests_WarmUpNet_Training>());

        // The warm-up built a model of its own: every parameter and buffer is what a model built with the same seed holds.
        WarmUpNet same = WithWarmUp(false, () => new WarmUpNet(5));
        foreach (ParameterList list in new[] { model.Parameters, model.Buffers })
        {
            foreach (Parameter p in list)
            {
                Parameter q = (list == model.Parameters ? same.Parameters : same.Buffers)[p.Name];
                Assert.True(p.Data.AsSpan().SequenceEqual(q.Data), $"{p.Name} changed");
            }
        }

        var input = new float[3 * WarmUpNet.InputLength];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = MathF.Sin(i * 0.37f);
        }

        float[] y = new float[3 * WarmUpNet.OutputLength], expected = new float[y.Length];
        model.Freeze().Infer(input, y, 3);
        same.Freeze().Infer(input, expected, 3);
        Assert.Equal(expected, y);
    }

    [Fact]
    public void EveryGeneratedPipelineOfTheTests_WarmsUpWithoutAnError()
    {
        Assembly tests = typeof(KernelWarmupTests).Assembly;
        var pipelines = tests.GetTypes()
            .Where(t => t.IsPublic && !t.IsAbstract && typeof(IFusedModel).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
            .ToList();
        Assert.True(pipelines.Count > 20, $"{pipelines.Count} pipelines found");
        WithWarmUp(true, () =>
        {
            foreach (Type t in pipelines)
            {
                Activator.CreateInstance(t);
            }

            return 0;
        });
        Assert.True(KernelWarmup.Wait(Timeout), "the warm-ups did not finish");

        var failures = new List<string>();
        MethodInfo finished = typeof(KernelWarmup).GetMethod(nameof(KernelWarmup.HasFinished))!;
        MethodInfo error = typeof(KernelWarmup).GetMethod(nameof(KernelWarmup.ErrorOf))!;
        foreach (Type t in pipelines)
        {
            string name = $"FusedOps.Generated.{t.FullName!.Replace('.', '_').Replace('+', '_')}_Training";
            Type? training = tests.GetType(name);
            if (training is null)
            {
                failures.Add($"{t.FullName}: no {name}");
                continue;
            }

            if (CanWarm && !(bool)finished.MakeGenericMethod(training).Invoke(null, null)!)
            {
                failures.Add($"{t.FullName}: not warmed");
            }

            if (error.MakeGenericMethod(training).Invoke(null, null) is Exception e)
            {
                failures.Add($"{t.FullName}: {e.GetType().Name}: {e.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static void Record(Probe p)
    {
        p.Runs++;
        p.Thread = Environment.CurrentManagedThreadId;
        p.Active = KernelWarmup.Active;
        p.Threads = ParallelWork.ThreadsFor(1L << 40, 1);
        p.Packed = LinearKernels.PackWeights(Enumerable.Range(1, 16 * 8).Select(i => (float)i).ToArray(), 16, 8);
    }

    private static T WithWarmUp<T>(bool on, Func<T> body)
    {
        bool saved = KernelOptions.WarmUp;
        try
        {
            KernelOptions.WarmUp = on;
            return body();
        }
        finally
        {
            KernelOptions.WarmUp = saved;
        }
    }

    private class Probe
    {
        public int Runs;
        public int Thread;
        public bool Active;
        public int Threads;
        public float[]? Packed;
    }

    private sealed class OffProbe : Probe
    {
    }

    private sealed class ThrowingProbe
    {
    }
}
