package web

// AssetURL is assetURL, for the browser tests of package web_test.
var AssetURL = assetURL
