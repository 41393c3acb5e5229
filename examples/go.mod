module github.com/qoslab/qoslab/examples

go 1.26.0

require github.com/qoslab/qoslab v0.0.0

require github.com/leanovate/gopter v0.2.11 // indirect

replace github.com/qoslab/qoslab => ../
