using System;
using FusedOps;

namespace FusedOps.Tests.Serialization;

/// <summary>
/// A hand-written <see cref="IFusedModel"/> for tests that need state but no generated code:
/// y = W·x + b over the first two parameters, whatever else it holds.
/// </summary>
internal sealed class FakeModel : IFusedModel
{
    private float[] _lastInput = [];
    private int _lastBatch;

    public FakeModel(Parameter[] parameters, Parameter[] buffers)
    {
        Parameters = new ParameterList(parameters);
        Buffers = new ParameterList(buffers);
        OutputLength = parameters[0].Shape[0];
        InputLength = parameters[0].Shape[1];
    }

    public int InputLength { get; }

    public int OutputLength { get; }

    public int[] InputShapeArray => [InputLength];

    public int[] OutputShapeArray => [OutputLength];

    public ParameterList Parameters { get; }

    public ParameterList Buffers { get; }

    /// <summary>Linear(2 → 3) then a BatchNorm1d(3): keys 0.weight, 0.bias, 1.weight, 1.bias; buffers 1.running_mean, 1.running_var.</summary>
    public static FakeModel LinearBatchNorm(int seed = 0)
    {
        var model = new FakeModel(
            [new Parameter("0.weight", [3, 2], hasGrad: true), new Parameter("0.bias", [3], hasGrad: true), new Parameter("1.weight", [3], hasGrad: true), new Parameter("1.bias", [3], hasGrad: true)],
            [new Parameter("1.running_mean", [3], hasGrad: false), new Parameter("1.running_var", [3], hasGrad: false)]);
        var random = new InitRandom(seed);
        foreach (Parameter p in model.Parameters)
        {
            random.FillUniform(p.Data, 1f);
            random.FillUniform(p.Grad, 1f);
        }

        foreach (Parameter b in model.Buffers)
        {
            random.FillUniform(b.Data, 1f);
        }

        return model;
    }

    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        Infer(input, output, batchSize);
        _lastInput = input.ToArray();
        _lastBatch = batchSize;
    }

    public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        float[] w = Parameters[0].Data;
        for (int n = 0; n < _lastBatch; n++)
        {
            for (int o = 0; o < OutputLength; o++)
            {
                float g = outputGradient[(n * OutputLength) + o];
                Parameters[1].Grad[o] += g;
                for (int i = 0; i < InputLength; i++)
                {
                    Parameters[0].Grad[(o * InputLength) + i] += g * _lastInput[(n * InputLength) + i];
                    if (!inputGradient.IsEmpty)
                    {
                        inputGradient[(n * InputLength) + i] += g * w[(o * InputLength) + i];
                    }
                }
            }
        }
    }

    public void ZeroGrad() => Parameters.ZeroGrad();

    /// <summary>Not frozen: the tests that use this fake never freeze it.</summary>
    public IInferenceModel Freeze() => throw new NotSupportedException("FakeModel is not freezable.");

    public void Infer(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        float[] w = Parameters[0].Data;
        float[] b = Parameters[1].Data;
        for (int n = 0; n < batchSize; n++)
        {
            for (int o = 0; o < OutputLength; o++)
            {
                float sum = b[o];
                for (int i = 0; i < InputLength; i++)
                {
                    sum += w[(o * InputLength) + i] * input[(n * InputLength) + i];
                }

                output[(n * OutputLength) + o] = sum;
            }
        }
    }
}
