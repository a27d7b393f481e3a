using System;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>
/// A learning-rate schedule as <c>torch.optim.lr_scheduler</c>: built on an optimiser (whose current
/// learning rate becomes the base rate), it sets the rate for epoch 0 at once and the next epoch's on
/// each <see cref="Step"/> (call it once per epoch, after the optimiser's steps, as in PyTorch).
/// </summary>
public abstract class LearningRateScheduler
{
    /// <summary>Takes the optimiser's current rate as the base rate and applies epoch 0's rate.</summary>
    /// <param name="optimizer">The optimiser whose <see cref="Optimizer.LearningRate"/> is scheduled.</param>
    protected LearningRateScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLearningRate = optimizer.LearningRate;
    }

    /// <summary>The scheduled optimiser.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The optimiser's learning rate when the schedule was built.</summary>
    public float BaseLearningRate { get; }

    /// <summary>Epochs stepped so far (PyTorch's <c>last_epoch</c>).</summary>
    public int Epoch { get; private set; }

    /// <summary>The learning rate the schedule gives at <paramref name="epoch"/> (≥ 0), in closed form.</summary>
    public abstract double LearningRateAt(int epoch);

    /// <summary>Advances one epoch and sets the optimiser's learning rate for it.</summary>
    public void Step()
    {
        Epoch++;
        Apply();
    }

    /// <summary>Sets the optimiser's rate for <see cref="Epoch"/>; subclasses call it at the end of their constructor.</summary>
    protected void Apply() => Optimizer.LearningRate = (float)LearningRateAt(Epoch);

    /// <summary>Rejects an epoch below 0.</summary>
    protected static void CheckEpoch(int epoch)
    {
        if (epoch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, Invariant($"epoch must be >= 0, got {epoch}."));
        }
    }
}

/// <summary>As <c>StepLR</c>: the base rate times <c>gamma^⌊epoch / stepSize⌋</c>.</summary>
public sealed class StepLR : LearningRateScheduler
{
    /// <summary>Creates the schedule and applies epoch 0's rate (the base rate).</summary>
    /// <param name="optimizer">The optimiser to schedule.</param>
    /// <param name="stepSize">Epochs between decays, at least 1.</param>
    /// <param name="gamma">Decay factor, finite and ≥ 0.</param>
    public StepLR(Optimizer optimizer, int stepSize, float gamma = 0.1f)
        : base(optimizer)
    {
        if (stepSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, Invariant($"stepSize must be at least 1, got {stepSize}."));
        }

        if (!(gamma >= 0f) || !float.IsFinite(gamma))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, Invariant($"gamma must be finite and >= 0, got {gamma}."));
        }

        StepSize = stepSize;
        Gamma = gamma;
        Apply();
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>Decay factor.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(int epoch)
    {
        CheckEpoch(epoch);
        return BaseLearningRate * Math.Pow(Gamma, epoch / StepSize);
    }
}

/// <summary>
/// As <c>CosineAnnealingLR</c> (its closed form): <c>minLr + (base − minLr)·(1 + cos(π·epoch/tMax))/2</c>,
/// falling from the base rate at epoch 0 to <c>minLr</c> at <c>tMax</c> (and rising again after, as PyTorch's).
/// </summary>
public sealed class CosineAnnealingLR : LearningRateScheduler
{
    /// <summary>Creates the schedule and applies epoch 0's rate (the base rate).</summary>
    /// <param name="optimizer">The optimiser to schedule.</param>
    /// <param name="tMax">Epochs of the half cosine, at least 1.</param>
    /// <param name="minLearningRate">The lowest rate (PyTorch's <c>eta_min</c>), finite and ≥ 0.</param>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, float minLearningRate = 0f)
        : base(optimizer)
    {
        if (tMax < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(tMax), tMax, Invariant($"tMax must be at least 1, got {tMax}."));
        }

        if (!(minLearningRate >= 0f) || !float.IsFinite(minLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, Invariant($"minLearningRate must be finite and >= 0, got {minLearningRate}."));
        }

        TMax = tMax;
        MinLearningRate = minLearningRate;
        Apply();
    }

    /// <summary>Epochs of the half cosine.</summary>
    public int TMax { get; }

    /// <summary>The lowest rate.</summary>
    public float MinLearningRate { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(int epoch)
    {
        CheckEpoch(epoch);
        return MinLearningRate + ((BaseLearningRate - (double)MinLearningRate) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2);
    }
}

/// <summary>
/// Linear warm-up as <c>LinearLR</c>: the base rate times a factor going linearly from
/// <c>startFactor</c> at epoch 0 to <c>endFactor</c> at <c>totalEpochs</c>, then held.
/// </summary>
public sealed class LinearWarmupLR : LearningRateScheduler
{
    /// <summary>Creates the schedule and applies epoch 0's rate (base·startFactor).</summary>
    /// <param name="optimizer">The optimiser to schedule.</param>
    /// <param name="startFactor">Factor at epoch 0, in (0, 1].</param>
    /// <param name="endFactor">Factor from <paramref name="totalEpochs"/> on, in [0, 1].</param>
    /// <param name="totalEpochs">Epochs of the ramp, at least 1.</param>
    public LinearWarmupLR(Optimizer optimizer, float startFactor = 1f / 3, float endFactor = 1f, int totalEpochs = 5)
        : base(optimizer)
    {
        if (!(startFactor > 0f && startFactor <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, Invariant($"startFactor must be in (0, 1], got {startFactor}."));
        }

        if (!(endFactor >= 0f && endFactor <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(endFactor), endFactor, Invariant($"endFactor must be in [0, 1], got {endFactor}."));
        }

        if (totalEpochs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(totalEpochs), totalEpochs, Invariant($"totalEpochs must be at least 1, got {totalEpochs}."));
        }

        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalEpochs = totalEpochs;
        Apply();
    }

    /// <summary>Factor at epoch 0.</summary>
    public float StartFactor { get; }

    /// <summary>Factor at the end of the ramp.</summary>
    public float EndFactor { get; }

    /// <summary>Epochs of the ramp.</summary>
    public int TotalEpochs { get; }

    /// <inheritdoc/>
    public override double LearningRateAt(int epoch)
    {
        CheckEpoch(epoch);
        double t = Math.Min(epoch, TotalEpochs) / (double)TotalEpochs;
        return BaseLearningRate * (StartFactor + ((EndFactor - (double)StartFactor) * t));
    }
}
