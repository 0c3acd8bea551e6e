"""CDK sample app used to generate cfncheck's sample cloud assemblies."""
