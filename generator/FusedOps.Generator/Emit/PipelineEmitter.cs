using System.Collections.Generic;
using FusedOps.Generator.Plan;

namespace FusedOps.Generator.Emit;

/// <summary>
/// Stage 3: turns a planned pipeline into source files: the public surface in the user's partial class
/// (<c>{Type}.g.cs</c>), the training model (<c>.Training.g.cs</c>), the inference model
/// (<c>.Inference.g.cs</c>) and, for a pipeline with convolutions, their kernels (<c>.Kernels.g.cs</c>).
/// </summary>
internal static class PipelineEmitter
{
    public static List<GeneratedFile> Emit(PipelineModel model)
    {
        string stem = model.FullName;
        var files = new List<GeneratedFile>
        {
            new(model.HintName, SurfaceEmitter.Write(model)),
            new(stem + ".Training.g.cs", TrainingEmitter.Write(model)),
            new(stem + ".Inference.g.cs", InferenceEmitter.Write(model)),
        };
        if (ConvEmitter.Any(model))
        {
            files.Add(new GeneratedFile(stem + ".Kernels.g.cs", ConvEmitter.Write(model)));
        }

        return files;
    }
}
