"""Training on Lightning: DataModules over the features, LightningModules, and the train stages."""
