/**
 * What the synthesized definitions call besides Lambda, in a leaf module without aws-cdk-lib: the local
 * engine (and the simulate workers, which never load the CDK) map these to in-process handlers.
 */

/**
 * The Step Functions integration that starts an execution and goes on ("Start a new AWS Step Functions state
 * machine execution from a running execution"); its ARN is `arn:<partition>` followed by this.
 */
export const START_EXECUTION_RESOURCE = ":states:::states:startExecution";
