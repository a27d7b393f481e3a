using System;
using System.Collections.Generic;
using System.Globalization;

namespace FusedOps.Training;

/// <summary>A loss with fused gradient over class labels, e.g. <see cref="SoftmaxCrossEntropy.Compute(ReadOnlySpan{float}, ReadOnlySpan{int}, int, Span{float})"/>.</summary>
/// <param name="logits">Model outputs <c>[batchSize, classes]</c>.</param>
/// <param name="labels">Class indices.</param>
/// <param name="batchSize">Samples in the batch.</param>
/// <param name="logitsGradient">Where the gradient of the mean loss is written.</param>
/// <returns>The mean loss.</returns>
public delegate float ClassificationLoss(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batchSize, Span<float> logitsGradient);

/// <summary>What <see cref="Trainer"/> reports after each epoch.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">Epochs planned.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's batches.</param>
/// <param name="TrainAccuracy">Accuracy of the training-mode outputs over the epoch, in [0, 1].</param>
/// <param name="ValidationAccuracy">Inference-mode accuracy on the validation data, or null without it.</param>
/// <param name="ImagesPerSecond">Training throughput (forward, loss, backward, step; validation excluded).</param>
/// <param name="Duration">Wall time of the epoch, validation included.</param>
/// <param name="Remaining">Estimated time for the remaining epochs (mean epoch time so far × epochs left).</param>
/// <param name="LearningRate">The learning rate the epoch used.</param>
/// <param name="Improved">Whether validation accuracy improved on the best so far (always true without validation).</param>
public sealed record EpochReport(
    int Epoch, int Epochs, double TrainLoss, double TrainAccuracy, double? ValidationAccuracy, double ImagesPerSecond, TimeSpan Duration, TimeSpan Remaining, float LearningRate, bool Improved)
{
    /// <summary>One progress line, e.g. <c>epoch 2/5: loss 0.3120, train 88.7%, val 89.9%, 5,210 img/s, 11.8 s, ETA 35 s</c>.</summary>
    public override string ToString()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        string validation = ValidationAccuracy is double v ? string.Format(c, ", val {0:P2}", v) : "";
        return string.Format(c, "epoch {0}/{1}: loss {2:F4}, train {3:P2}{4}, {5:N0} img/s, {6:F1} s, ETA {7:F0} s", Epoch, Epochs, TrainLoss, TrainAccuracy, validation, ImagesPerSecond, Duration.TotalSeconds, Remaining.TotalSeconds);
    }
}

/// <summary>Progress inside an epoch, for a live progress bar.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="MeanLoss">Mean loss over the epoch's batches so far.</param>
public readonly record struct BatchProgress(int Epoch, int Batch, int Batches, double MeanLoss);

/// <summary>The outcome of <see cref="Trainer.Fit"/>.</summary>
/// <param name="Epochs">One report per epoch run.</param>
/// <param name="BestEpoch">Epoch of the best validation accuracy (the last epoch without validation).</param>
/// <param name="BestValidationAccuracy">That accuracy, or null without validation.</param>
/// <param name="StoppedEarly">Whether early stopping ended training before the planned epochs.</param>
public sealed record TrainingResult(IReadOnlyList<EpochReport> Epochs, int BestEpoch, double? BestValidationAccuracy, bool StoppedEarly);
