using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Training;
using Xunit;

namespace FusedOps.Tests.Training;

/// <summary>
/// Large tensors' updates split over threads (UpdateJob) give bitwise the results of one thread, for every optimiser and state
/// layout; sizes that are not a multiple of the vector width put the tail in the last slice.
/// </summary>
[Collection("KernelLevel")]
public sealed class OptimizerParallelTests
{
    public static TheoryData<string> Optimizers() => new()
    {
        "Sgd", "SgdNesterov", "Adam", "AdamAmsGrad", "AdamW", "RmsProp", "RmsPropCentered", "AdaGrad", "Adadelta",
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Step_SplitOverThreads_BitwiseAsOneThread(string kind)
    {
        float[][] one = [];
        KernelLevelCollection.AtThreads(1, () => one = Train(kind));
        foreach (int threads in new[] { 2, 3 })
        {
            float[][] split = [];
            KernelLevelCollection.AtThreads(threads, () => split = Train(kind));
            for (int t = 0; t < one.Length; t++)
            {
                for (int i = 0; i < one[t].Length; i++)
                {
                    if (BitConverter.SingleToInt32Bits(one[t][i]) != BitConverter.SingleToInt32Bits(split[t][i]))
                    {
                        Assert.Fail($"{kind}, {threads} threads: tensor {t} element {i}: {one[t][i]:R} on one thread, {split[t][i]:R} split");
                    }
                }
            }
        }
    }

    [Fact]
    public void Step_SplitOverThreads_SteadyStateAllocatesNothing() => KernelLevelCollection.AtThreads(2, () =>
    {
        var parameter = new Parameter("big", new[] { 200_707 }, hasGrad: true);
        var optimizer = new Adam(new ParameterList(parameter));
        optimizer.Step();
        Assert.Equal(0, SteadyAllocations.Cleanest(optimizer.Step));
    });

    // Three steps on a tensor large enough to split (and one too small to), each with new gradients.
    private static float[][] Train(string kind)
    {
        var random = new Random(kind.Length);
        var parameters = new[] { new Parameter("big", new[] { 200_707 }, hasGrad: true), new Parameter("small", new[] { 37 }, hasGrad: true) };
        foreach (Parameter p in parameters)
        {
            Fill(random, p.Data);
        }

        Optimizer optimizer = Create(kind, new ParameterList(parameters));
        for (int step = 0; step < 3; step++)
        {
            foreach (Parameter p in parameters)
            {
                Fill(random, p.Grad);
            }

            optimizer.Step();
        }

        return parameters.Select(p => p.Data).ToArray();
    }

    private static Optimizer Create(string kind, ParameterList parameters) => kind switch
    {
        "Sgd" => new Sgd(parameters, 0.1f, momentum: 0.9f, weightDecay: 1e-3f),
        "SgdNesterov" => new Sgd(parameters, 0.1f, momentum: 0.9f, nesterov: true),
        "Adam" => new Adam(parameters, 1e-3f, weightDecay: 1e-3f),
        "AdamAmsGrad" => new Adam(parameters, 1e-3f, amsGrad: true),
        "AdamW" => new AdamW(parameters, 1e-3f),
        "RmsProp" => new RmsProp(parameters, 1e-2f, momentum: 0.9f),
        "RmsPropCentered" => new RmsProp(parameters, 1e-2f, centered: true),
        "AdaGrad" => new AdaGrad(parameters, 1e-2f, learningRateDecay: 1e-3f),
        _ => new Adadelta(parameters, 1f, weightDecay: 1e-3f),
    };

    private static void Fill(Random random, IList<float> values)
    {
        for (int i = 0; i < values.Count; i++)
        {
            values[i] = (random.NextSingle() * 2f) - 1f;
        }
    }
}
