"""The GraphQL documents the tests send, as a client would keep them."""

QUOTE_FIELDS = """
  id number status awaiting source version currencyCode availableActions
  expiresAt submittedAt createdAt updatedAt
  contact { name email phone }
  totals { lineCount unitCount asking { amount currencyCode } offered { amount } agreed { amount } }
  lines {
    id position status awaiting quantity condition carrierLock carrier
    device { type brand model storage color }
    conditionAnswers { question answer }
    units { imei serial check { valid flags } }
    askingPrice { amount } customerPrice { amount } merchantOffer { amount } agreedPrice { amount }
    history { by action price { amount } at line { id } }
  }
  acceptance { signerName signerEmail signedAt signatureHash valid withdrawnAt }
  buyOrder { id number total { amount currencyCode } payoutMethod fulfillment paymentStatus
             receiptUrl lines { quantity unitPrice { amount } total { amount } quoteLine { id } device { model } } }
"""

USER_ERRORS = "userErrors { code message field }"

CREATE_REQUEST = """
mutation CreateRequest($input: CreateQuoteRequestInput!) {
  createQuoteRequest(input: $input) { url quote { id number status expiresAt } %s }
}
""" % USER_ERRORS

SUBMIT = """
mutation Submit($input: SubmitQuoteInput!) {
  submitQuote(input: $input) { quote { %s } %s }
}
""" % (QUOTE_FIELDS, USER_ERRORS)

COUNTER = """
mutation Counter($input: CounterOfferInput!) {
  counterOffer(input: $input) { quote { %s } %s }
}
""" % (QUOTE_FIELDS, USER_ERRORS)

ACCEPT_ALL = """
mutation Accept($input: AcceptAllRemainingInput!) {
  acceptAllRemaining(input: $input) { quote { %s } %s }
}
""" % (QUOTE_FIELDS, USER_ERRORS)

REJECT_ALL = """
mutation Reject($input: RejectAllRemainingInput!) {
  rejectAllRemaining(input: $input) { quote { %s } %s }
}
""" % (QUOTE_FIELDS, USER_ERRORS)

WITHDRAW = """
mutation Withdraw($input: WithdrawAcceptanceInput!) {
  withdrawAcceptance(input: $input) { quote { %s } %s }
}
""" % (QUOTE_FIELDS, USER_ERRORS)

CONVERT = """
mutation Convert($input: ConvertToBuyOrderInput!) {
  convertToBuyOrder(input: $input) {
    quote { id status version }
    buyOrder { id number total { amount currencyCode } payoutMethod fulfillment paymentStatus receiptUrl
               lines { quantity unitPrice { amount } total { amount } device { brand model } } }
    %s
  }
}
""" % USER_ERRORS

SEND_MESSAGE = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id kind author authorName body createdAt } %s }
}
""" % USER_ERRORS

CANCEL = """
mutation Cancel($input: CancelQuoteInput!) {
  cancelQuote(input: $input) { quote { id status awaiting availableActions } %s }
}
""" % USER_ERRORS

QUOTE = "query Quote($id: ID!) { quote(id: $id) { %s } }" % QUOTE_FIELDS

THREAD_VIEW = """
query ThreadView($id: ID!) {
  quote(id: $id) {
    %s
    thread(first: 100) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id kind author authorName body createdAt
        lineChanges { by action price { amount currencyCode } at line { id position } } } }
    }
  }
}
""" % QUOTE_FIELDS

QUOTES = """
query Quotes($first: Int, $after: String, $filter: QuoteFilter) {
  quotes(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id number status awaiting contact { name email } } }
  }
}
"""

VIEWER = """
query { viewer { kind customerEmail organization { id name slug } staff { id name role } quote { id number } } }
"""
