using System.Threading;
using FusedOps.Generator.Diagnostics;
using FusedOps.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FusedOps.Generator.Parse;

/// <summary>Finds a class declaration that carries layer attributes but whose type has no <c>[FusedPipeline]</c> (FOPS0010).</summary>
internal static class OrphanLayers
{
    public static DiagnosticInfo? Find(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.SemanticModel.GetDeclaredSymbol(context.Node, cancellationToken) is not INamedTypeSymbol type)
        {
            return null;
        }

        AttributeData? firstLayer = null;
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == WellKnownNames.FusedPipelineAttribute)
            {
                return null;
            }

            if (firstLayer is null && PipelineParser.IsLayerAttribute(attribute.AttributeClass)
                && attribute.ApplicationSyntaxReference?.SyntaxTree == context.Node.SyntaxTree
                && context.Node.Span.Contains(attribute.ApplicationSyntaxReference.Span))
            {
                firstLayer = attribute;
            }
        }

        return firstLayer is null
            ? null
            : DiagnosticInfo.Create(DiagnosticDescriptors.LayersWithoutPipeline, LocationInfo.From(firstLayer.ApplicationSyntaxReference!.GetSyntax(cancellationToken)), type.Name);
    }
}
