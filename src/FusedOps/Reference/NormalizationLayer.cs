using System;

namespace FusedOps.Reference;

/// <summary>
/// The one formula behind BatchNorm, LayerNorm, GroupNorm and InstanceNorm: the batch tensor is
/// split into groups of elements; each group is normalised by its own mean and biased variance,
/// x̂ = (x − μ)/√(σ² + ε), then y = γ[a]·x̂ + β[a] where a is the element's affine index. The
/// subclasses only say what a group is and which γ/β an element uses.
/// </summary>
internal abstract class NormalizationLayer : RefLayer
{
    private readonly double _epsilon;
    private readonly bool _affine;

    protected NormalizationLayer(int index, string description, int[] inputShape, float epsilon, bool affine, int[] affineShape)
        : base(index, description, inputShape, inputShape)
    {
        _epsilon = RefMath.Hyper(epsilon);
        _affine = affine;
        Parameters = affine ? [NewParameter("weight", affineShape), NewParameter("bias", affineShape)] : [];
    }

    /// <summary>Channels (dimension 0 of the sample).</summary>
    protected int Channels => InputShape[0];

    /// <summary>Elements per channel of one sample (1 for rank-1 input).</summary>
    protected int Spatial => InputLength / InputShape[0];

    public override void Initialize(InitRandom random)
    {
        if (_affine)
        {
            Array.Fill(Parameters[0].Data, 1f);
            Array.Fill(Parameters[1].Data, 0f);
        }
    }

    /// <summary>The groups, as flat indices into the <c>[batch, ...shape]</c> tensor.</summary>
    protected abstract int[][] Groups(int batch);

    /// <summary>Index into γ and β of the element at this position within its sample.</summary>
    protected abstract int AffineIndex(int positionInSample);

    /// <summary>Whether this pass normalises by stored statistics instead of the group's own (BatchNorm in eval mode).</summary>
    protected virtual bool UsesStoredStatistics(LayerContext context) => false;

    /// <summary>The stored mean and variance of a group, when <see cref="UsesStoredStatistics"/>.</summary>
    protected virtual (double Mean, double Variance) StoredStatistics(LayerContext context, int group) =>
        throw new InvalidOperationException("No stored statistics.");

    /// <summary>Called with each group's batch statistics in a pass that computes them.</summary>
    protected virtual void OnBatchStatistics(LayerContext context, int group, double mean, double biasedVariance, int count)
    {
    }

    private sealed record Saved(int[][] Groups, double[] Normalized, double[] InvStd, bool Stored);

    public override double[] Forward(LayerContext context, double[] input)
    {
        int[][] groups = Groups(context.Batch);
        bool stored = UsesStoredStatistics(context);
        var normalized = new double[input.Length];
        var invStd = new double[groups.Length];
        for (int g = 0; g < groups.Length; g++)
        {
            int[] members = groups[g];
            double mean, variance;
            if (stored)
            {
                (mean, variance) = StoredStatistics(context, g);
            }
            else
            {
                double sum = 0;
                foreach (int i in members)
                {
                    sum += input[i];
                }

                mean = sum / members.Length;
                double squares = 0;
                foreach (int i in members)
                {
                    squares += (input[i] - mean) * (input[i] - mean);
                }

                variance = squares / members.Length;
                OnBatchStatistics(context, g, mean, variance, members.Length);
            }

            invStd[g] = 1.0 / Math.Sqrt(variance + _epsilon);
            foreach (int i in members)
            {
                normalized[i] = (input[i] - mean) * invStd[g];
            }
        }

        context.Saved = new Saved(groups, normalized, invStd, stored);
        var output = new double[input.Length];
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = _affine
                ? (normalized[i] * context.Parameters[0][Affine(i)]) + context.Parameters[1][Affine(i)]
                : normalized[i];
        }

        return output;
    }

    public override double[] Backward(LayerContext context, double[] outputGradient, double[][] parameterGradients)
    {
        var saved = (Saved)context.Saved!;
        double[] xhat = saved.Normalized;

        // Gradient with respect to x̂, and the affine parameters.
        var gradNormalized = new double[outputGradient.Length];
        for (int i = 0; i < outputGradient.Length; i++)
        {
            double g = outputGradient[i];
            if (_affine)
            {
                int a = Affine(i);
                gradNormalized[i] = g * context.Parameters[0][a];
                parameterGradients[0][a] += g * xhat[i];
                parameterGradients[1][a] += g;
            }
            else
            {
                gradNormalized[i] = g;
            }
        }

        // With stored statistics x̂ is affine in x. With batch statistics μ and σ² depend on every
        // member: dx = (1/√(σ²+ε))·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)).
        var inputGradient = new double[outputGradient.Length];
        for (int g = 0; g < saved.Groups.Length; g++)
        {
            int[] members = saved.Groups[g];
            double meanGrad = 0, meanGradXhat = 0;
            if (!saved.Stored)
            {
                foreach (int i in members)
                {
                    meanGrad += gradNormalized[i];
                    meanGradXhat += gradNormalized[i] * xhat[i];
                }

                meanGrad /= members.Length;
                meanGradXhat /= members.Length;
            }

            foreach (int i in members)
            {
                inputGradient[i] = saved.InvStd[g] * (gradNormalized[i] - meanGrad - (xhat[i] * meanGradXhat));
            }
        }

        return inputGradient;
    }

    private int Affine(int flatIndex) => AffineIndex(flatIndex % InputLength);

    /// <summary>Groups of (sample, block of channels): the elements of channels [c0, c0 + count) of sample n.</summary>
    protected int[] SampleChannels(int n, int firstChannel, int channelCount)
    {
        var members = new int[channelCount * Spatial];
        int start = (n * InputLength) + (firstChannel * Spatial);
        for (int j = 0; j < members.Length; j++)
        {
            members[j] = start + j;
        }

        return members;
    }
}
