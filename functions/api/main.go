// Command api is the Lambda function behind the API Gateway HTTP API: it
// turns each payload-2.0 event into an http.Request for the same handler
// `orrery server start` serves, over the store ORRERY_DATABASE_URL names
// (DynamoDB in the serverless stack).
package main

import (
	"context"
	"log"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/orrery-dev/orrery/internal/app"
)

var version = "dev"

// newHandler adapts h to API Gateway HTTP API events; each request carries
// the gateway's request id.
func newHandler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(app.GatewayRequestID(h)).ProxyWithContext
}

func main() {
	a, _, err := app.ForLambda(context.Background(), version)
	if err != nil {
		log.Fatal(err) // a failed cold start: Lambda reports it and retries
	}
	lambda.Start(newHandler(a.API))
}
